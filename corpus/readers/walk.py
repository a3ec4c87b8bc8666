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
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(FORMATS)


def format_of(path: Path) -> str | None:
    """The reader format for a file name ("txt", "md", "pdf", "docx", "jsonl"), or None."""
    name = path.name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if name.endswith(suffix)), None)


def is_skipped(name: str) -> bool:
    # Hidden files, and the "~$name.docx" lock files Word leaves beside open documents.
    return name.startswith((".", "~$"))


def walk_files(folder: Path) -> Iterator[Path | ReadProblem]:
    """Every file under ``folder``, depth first in name order, skipping hidden entries.

    Symbolic links to folders are not followed, so a link loop cannot hang the walk.
    """
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
            yield from walk_files(path)
        elif entry.is_file():
            yield path
