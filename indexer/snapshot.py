"""Atomic index snapshots.

An index is a folder of three parts that must agree: the chunk store
(SQLite), the vector index (FAISS) and the lexical index (tantivy). They are
never changed in place. A writer clones the current snapshot into a new
folder, changes the clone, and publishes it by atomically replacing the
``CURRENT`` pointer file. Readers open whatever ``CURRENT`` names. Killing a
writer at any moment leaves ``CURRENT`` naming the last complete snapshot;
the half-written folder is removed by the next writer.

    DATA_DIR/
      CURRENT                  name of the published snapshot
      LOCK                     held (flock) by the one writer
      snapshots/<name>/        store.sqlite, vectors.faiss, lexical/, manifest.json

Cloning copies the SQLite file (it is modified in place) and hard-links the
tantivy files (tantivy only ever writes new files and renames its metadata
into place, so the original snapshot is untouched by writes to the clone).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STORE = "store.sqlite"
VECTORS = "vectors.faiss"
LEXICAL = "lexical"
MANIFEST = "manifest.json"
VOCABULARY = "vocabulary.json"


class IndexLockedError(RuntimeError):
    pass


class NoIndexError(RuntimeError):
    pass


@dataclass(frozen=True)
class Snapshot:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def store(self) -> Path:
        return self.path / STORE

    @property
    def vectors(self) -> Path:
        return self.path / VECTORS

    @property
    def lexical(self) -> Path:
        return self.path / LEXICAL

    @property
    def vocabulary(self) -> Path:
        return self.path / VOCABULARY

    def manifest(self) -> dict:
        try:
            return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SnapshotDir:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir)
        self.snapshots = self.root / "snapshots"

    def current(self) -> Snapshot | None:
        try:
            name = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.snapshots / name
        return Snapshot(path) if name and path.is_dir() else None

    def require_current(self) -> Snapshot:
        snap = self.current()
        if snap is None:
            raise NoIndexError(f"Chưa có chỉ mục trong {self.root}: hãy chạy 'vanban index' trước")
        return snap

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time; a second one fails at once rather than waiting."""
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / "LOCK", "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexLockedError(f"Chỉ mục {self.root} đang được một tiến trình khác cập nhật") from exc
            yield
        finally:
            fh.close()

    def begin(self, clone: bool = True) -> Snapshot:
        """A new, unpublished snapshot: a clone of the current one, or empty."""
        self.snapshots.mkdir(parents=True, exist_ok=True)
        self._remove_unfinished()
        name = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
        tmp = self.snapshots / f"{name}.tmp"
        tmp.mkdir()
        try:
            self._clone_into(tmp, self.current() if clone else None)
        except BaseException:
            # A clone that fails (a full disk) leaves no half-copied folder behind.
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Snapshot(tmp)

    def _clone_into(self, tmp: Path, base: Snapshot | None) -> None:
        if base is None:
            return
        if base.store.exists():
            # The SQLite backup API copies a consistent image even while readers use it.
            src = sqlite3.connect(f"file:{base.store}?mode=ro", uri=True)
            dst = sqlite3.connect(tmp / STORE)
            try:
                with dst:
                    src.backup(dst)
            finally:
                src.close()
                dst.close()
        for name in (VECTORS, VOCABULARY):
            if (base.path / name).exists():
                shutil.copy2(base.path / name, tmp / name)
        if base.lexical.is_dir():
            _hardlink_tree(base.lexical, tmp / LEXICAL)

    def publish(self, snap: Snapshot, manifest: dict) -> Snapshot:
        """Make ``snap`` the current snapshot; returns it under its final name. If this
        fails (a full disk), ``CURRENT`` still names the previous snapshot and ``snap``
        is left under its unfinished name, for ``abandon``."""
        (snap.path / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        for f in snap.path.iterdir():
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        final = snap.path.with_name(snap.path.name.removesuffix(".tmp"))
        os.replace(snap.path, final)
        pointer = self.root / "CURRENT.tmp"
        try:
            _fsync_dir(self.snapshots)
            with open(pointer, "w", encoding="utf-8") as fh:
                fh.write(final.name + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(pointer, self.root / "CURRENT")
        except BaseException:
            pointer.unlink(missing_ok=True)
            os.replace(final, snap.path)
            raise
        _fsync_dir(self.root)
        self._remove_old(keep={final.name})
        return Snapshot(final)

    def abandon(self, snap: Snapshot) -> None:
        # A lexical writer whose close failed may still have merge threads writing into
        # the folder for a moment after it is removed: remove it again until it stays gone.
        for attempt in range(20):
            shutil.rmtree(snap.path, ignore_errors=True)
            if not snap.path.exists():
                return
            time.sleep(0.05 * (attempt + 1))

    def clean_unfinished(self) -> None:
        """Remove what a writer that died left (an unpublished snapshot can be as large
        as the index) without waiting for the next write; not while a writer runs."""
        if not self.snapshots.is_dir() or not any(self.snapshots.glob("*.tmp")):
            return
        try:
            with self.lock():
                self._remove_unfinished()
        except IndexLockedError:
            pass  # a writer is at work: the folder may be its own

    def _remove_unfinished(self) -> None:
        for p in self.snapshots.glob("*.tmp"):
            shutil.rmtree(p, ignore_errors=True)

    def _remove_old(self, keep: set[str], spare: int = 1) -> None:
        """Delete published snapshots except the current one and ``spare`` before it
        (a server may still be answering from the previous one)."""
        done = sorted(p for p in self.snapshots.iterdir() if p.is_dir() and not p.name.endswith(".tmp"))
        old = [p for p in done if p.name not in keep]
        for p in old[: max(0, len(old) - spare)]:
            shutil.rmtree(p, ignore_errors=True)

    def size_bytes(self, snap: Snapshot) -> int:
        return sum(f.stat().st_size for f in snap.path.rglob("*") if f.is_file())

    def clone_bytes(self) -> int | None:
        """Bytes ``begin`` copies from the current snapshot (the rest is hard-linked)."""
        base = self.current()
        if base is None:
            return None
        return sum(p.stat().st_size for p in (base.store, base.vectors, base.vocabulary) if p.exists())

    def staged_bytes(self, snap: Snapshot) -> int:
        """Bytes an unpublished snapshot has written so far: files hard-linked from
        the published one take no new space and are not counted."""
        total = 0
        for f in snap.path.rglob("*"):
            try:
                st = f.lstat()
            except OSError:
                continue
            if f.is_file() and st.st_nlink == 1:
                total += st.st_size
        return total


def _hardlink_tree(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        target = dst / entry.name
        if entry.is_dir():
            _hardlink_tree(entry, target)
        elif entry.name.endswith(".lock"):
            continue  # lock files belong to the writer of the original
        else:
            try:
                os.link(entry, target)
            except OSError:
                shutil.copy2(entry, target)
