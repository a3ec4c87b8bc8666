"""A full disk, recognised once for every write path.

SQLite, tantivy, FAISS and plain file writes each say "no space" in their own
way; ``disk_full`` turns any of them into one ``DiskFullError`` that carries
the place written and, where they can be known, the space the write needed and
the space left, so the CLI and the API can give the same clear message.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# How the libraries without an errno word it: tantivy ("No space left on device
# (os error 28)"), FAISS ("write error in …: … (No space left on device)"), quotas.
_NO_SPACE_TEXT = ("no space left on device", "os error 28", "disk quota exceeded", "os error 122",
                  "database or disk is full")
_NO_SPACE_ERRNO = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL = 13


class DiskFullError(RuntimeError):
    code = "disk_full"

    def __init__(self, path: Path | str, needed: int | None = None, free: int | None = None):
        self.path = str(path)
        self.needed = needed
        self.free = free
        space = []
        if needed is not None:
            space.append(f"cần hơn {human_bytes(needed)}")
        if free is not None:
            space.append(f"còn trống {human_bytes(free)}")
        detail = f" ({', '.join(space)})" if space else ""
        super().__init__(
            f"Ổ đĩa đã đầy khi ghi vào {self.path}{detail}. Không có gì bị thay đổi: chỉ mục đang dùng vẫn tìm kiếm "
            "được. Hãy giải phóng chỗ trống rồi thử lại."
        )

    @property
    def message(self) -> str:
        return str(self)

    def detail(self) -> dict:
        return {"path": self.path, "needed_bytes": self.needed, "free_bytes": self.free}


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) says the disk or quota is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return True
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNO:
            return True
        if isinstance(current, sqlite3.Error) and getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if isinstance(current, (OSError, sqlite3.Error, ValueError, RuntimeError)):
            text = str(current).lower()
            if any(t in text for t in _NO_SPACE_TEXT):
                return True
        current = current.__cause__ or current.__context__
    return False


def free_bytes(path: Path | str) -> int | None:
    """Space left to an ordinary user on the disk holding ``path`` (its nearest existing folder)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


@contextmanager
def disk_full(path: Path | str, needed: int | None = None) -> Iterator[None]:
    """Turn a "no space" failure of the writes inside into a ``DiskFullError`` about ``path``."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(path, needed, free_bytes(path)) from exc


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{n} B"
