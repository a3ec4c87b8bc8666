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
        """``needed``: a lower bound of what the write needs (what it had written, what it
        had to copy); ``free``: the space left once what it staged is removed."""
        space = []
        if needed is not None and free is not None and needed <= free:
            needed = free + 1  # it ran out with that much to spare
            space.append(f"cần hơn {human_bytes(free)}")
        elif needed is not None:
            space.append(f"cần ít nhất {human_bytes(needed)}")
        self.path = str(path)
        self.needed = needed
        self.free = free
        if free is not None:
            space.append(f"còn trống {human_bytes(free)}")
        detail = f" ({', '.join(space)})" if space else ""
        super().__init__(
            f"Ổ đĩa đã đầy khi ghi vào {self.path}{detail}. Không có gì bị thay đổi: chỉ mục đang dùng vẫn tìm kiếm "
            "được. Hãy giải phóng chỗ trống rồi thử lại."
        )

    @classmethod
    def raised_by(cls, exc: BaseException, path: Path | str, needed: int | None = None) -> "DiskFullError":
        """The error for ``exc``, a "no space" failure writing to ``path``, with the space left now."""
        found = no_space(exc)
        quota = (isinstance(found, OSError) and found.errno == errno.EDQUOT) or "quota" in str(found).lower()
        # Under a quota, the disk's free space is not the writer's.
        return cls(path, needed, None if quota else free_bytes(path))

    @property
    def message(self) -> str:
        return str(self)

    def detail(self) -> dict:
        """For programs: the figures, and which write failed as the library said it."""
        cause = no_space(self.__cause__) if self.__cause__ is not None else None
        cause = self.__cause__ if cause is None else cause
        return {"path": self.path, "needed_bytes": self.needed, "free_bytes": self.free,
                "cause": f"{type(cause).__name__}: {cause}" if cause is not None else None}


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from, or during) says the disk or quota is full."""
    return no_space(exc) is not None


def no_space(exc: BaseException) -> BaseException | None:
    """The exception in ``exc``'s chain that says the disk or quota is full, if one does."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return current
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNO:
            return current
        if isinstance(current, sqlite3.Error) and getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL:
            return current
        if isinstance(current, (OSError, sqlite3.Error, ValueError, RuntimeError)):
            text = str(current).lower()
            if any(t in text for t in _NO_SPACE_TEXT):
                return current
        current = current.__cause__ or current.__context__
    return None


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
        raise DiskFullError.raised_by(exc, path, needed) from exc


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{n} B"
