"""Document readers: the first stage of read -> parse -> chunk -> embed -> index.

``read_file`` reads one file, ``iter_documents`` walks files and folders and
never stops on a bad file: it yields a ``ReadProblem`` for it and goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from corpus.models import DocumentReadError, RawDocument, ReadProblem

from .doc import read_doc
from .docx import read_docx
from .image import read_image
from .jsonl import iter_jsonl
from .limits import ReadSettings
from .pdf import read_pdf
from .text import read_text
from .walk import SUPPORTED_SUFFIXES, format_of, walk_files

__all__ = ["SUPPORTED_SUFFIXES", "ReadSettings", "format_of", "iter_documents", "iter_files", "read_file", "read_path"]

log = logging.getLogger(__name__)


def read_file(path: Path, root: Path | None = None, settings: ReadSettings = ReadSettings()) -> Iterator[RawDocument]:
    """The documents of one file (one, or one per record for JSONL).

    ``doc_id`` is the path relative to ``root`` (POSIX slashes), or the file name
    when ``root`` is None; for JSONL it is each record's id. Raises
    ``DocumentReadError`` for a file that cannot be read: at once for single
    documents, while iterating for JSONL. Skipped JSONL lines are reported in
    the ``warnings`` of the next document (``iter_documents`` reports them as
    separate ``ReadProblem`` items instead). ``settings`` bounds what one
    document may expand to while it is read.
    """
    path = Path(path)
    fmt = format_of(path)
    if fmt is None:
        raise _unsupported(path)
    if fmt == "jsonl":
        return _with_warnings_attached(iter_jsonl(path, settings))
    return iter([_read_single(path, fmt, _doc_id(path, root), settings)])


def iter_files(
    paths: Iterable[Path], settings: ReadSettings = ReadSettings()
) -> Iterator[tuple[Path, Path] | ReadProblem]:
    """(file, root) for every file under the given files and folders, in name order.

    A folder is the root for the ``doc_id`` of the files under it; a file given
    directly is its own parent's. Missing paths come out as problems. A path
    given here is read even when it is a symbolic link (whoever names it chose
    it); links found inside a folder must stay inside it (see ``walk_files``).
    """
    for path in map(Path, paths):
        if path.is_dir():
            for found in walk_files(path, settings.follow_symlinks):
                yield found if isinstance(found, ReadProblem) else (found, path)
        elif path.is_file():
            yield path, path.parent
        else:
            yield ReadProblem(str(path), "not_found", "Không tìm thấy tệp hoặc thư mục")


def iter_documents(
    paths: Iterable[Path], settings: ReadSettings = ReadSettings()
) -> Iterator[RawDocument | ReadProblem]:
    """Documents of the given files and folders (folders recursively, in name order).

    Unsupported files come out as warnings, unreadable ones (or ones past a read
    limit) as errors; the walk always goes on.
    """
    for found in iter_files(paths, settings):
        if isinstance(found, ReadProblem):
            yield found
        else:
            yield from read_path(*found, settings)


def read_path(path: Path, root: Path, settings: ReadSettings = ReadSettings()) -> Iterator[RawDocument | ReadProblem]:
    """The documents of one file, or the problem that stopped it; never raises."""
    fmt = format_of(path)
    if fmt is None:
        problem = _unsupported(path).problem()
        problem.level = "warning"
        yield problem
        return
    try:
        if fmt == "jsonl":
            yield from iter_jsonl(path, settings)
        else:
            yield _read_single(path, fmt, _doc_id(path, root), settings)
    except DocumentReadError as exc:
        yield exc.problem()
    except Exception as exc:  # a reader bug on one odd file must not end a long indexing run
        log.exception("unexpected error reading %s", path)
        yield ReadProblem(str(path), "internal_error", f"Lỗi không mong đợi khi đọc tệp: {type(exc).__name__}: {exc}")


def _read_single(path: Path, fmt: str, doc_id: str, settings: ReadSettings) -> RawDocument:
    if fmt == "pdf":
        return read_pdf(path, doc_id, settings)
    if fmt == "docx":
        return read_docx(path, doc_id, settings)
    if fmt == "image":
        return read_image(path, doc_id, settings)
    if fmt == "doc":
        return read_doc(path, doc_id, settings)
    return read_text(path, doc_id, fmt, settings)


def _with_warnings_attached(items: Iterator[RawDocument | ReadProblem]) -> Iterator[RawDocument]:
    pending: list[str] = []
    for item in items:
        if isinstance(item, ReadProblem):
            pending.append(item.message)
            continue
        item.warnings.extend(pending)
        pending = []
        yield item
    for message in pending:
        log.warning("%s", message)


def _doc_id(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def _unsupported(path: Path) -> DocumentReadError:
    supported = ", ".join(SUPPORTED_SUFFIXES)
    return DocumentReadError(str(path), "unsupported_type", f"Loại tệp không được hỗ trợ (hỗ trợ: {supported})")
