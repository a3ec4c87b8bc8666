"""Finding the files to read: suffix to format, and the sorted recursive folder walk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from corpus.models import ReadProblem

# Longest first, so ".jsonl.gz" wins over a plain ".gz" check.
FORMATS: dict[str, str] = {
    ".jsonl.gz": "jsonl",
    ".jsonl": "jsonl",
    ".txt": "txt",
    ".md": "md",
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(FORMATS)


def format_of(path: Path) -> str | None:
    """The reader format for a file name ("txt", "md", "pdf", "docx", "doc", "jsonl"), or None."""
    name = path.name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if name.endswith(suffix)), None)


def is_skipped(name: str) -> bool:
    # Hidden files, and the "~$name.docx" lock files Word leaves beside open documents.
    return name.startswith((".", "~$"))


def walk_files(folder: Path, follow_symlinks: bool = False) -> Iterator[Path | ReadProblem]:
    """Every file under ``folder``, depth first in name order, skipping hidden entries.

    Symbolic links to folders are not followed, so a link loop cannot hang the walk.
    A link to a file outside ``folder`` (resolved: ``folder`` may itself be a link)
    comes out as a warning instead, unless ``follow_symlinks``: whoever can write
    in an indexed folder must not be able to publish any file the indexer can read.
    """
    yield from _walk(folder, folder.resolve(), follow_symlinks)


def _walk(folder: Path, root: Path, follow_symlinks: bool) -> Iterator[Path | ReadProblem]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        yield ReadProblem(str(folder), "unreadable_dir", f"Không đọc được thư mục: {exc.strerror or exc}")
        return
    for entry in entries:
        if is_skipped(entry.name):
            continue
        path = folder / entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, root, follow_symlinks)
        elif entry.is_file():
            if entry.is_symlink() and not follow_symlinks:
                target = path.resolve()
                if not target.is_relative_to(root):
                    yield _outside(path, target)
                    continue
            yield path


def _outside(path: Path, target: Path) -> ReadProblem:
    return ReadProblem(
        str(path),
        "symlink_outside_root",
        f"Liên kết tượng trưng trỏ ra ngoài thư mục được lập chỉ mục (tới {target}); bỏ qua "
        "(đặt VANBAN_FOLLOW_SYMLINKS=1 để đọc cả những tệp này)",
        "warning",
    )
