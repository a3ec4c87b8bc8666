"""File access shared by the readers, turning OS errors into read errors that name the file."""

from __future__ import annotations

from pathlib import Path

from corpus.models import DocumentReadError


def file_mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def unreadable(path: Path, exc: OSError) -> DocumentReadError:
    reason = exc.strerror or type(exc).__name__
    return DocumentReadError(str(path), "unreadable_file", f"Không mở được tệp: {reason}")


def empty_file(path: Path) -> DocumentReadError:
    return DocumentReadError(str(path), "empty_file", "Tệp rỗng")
