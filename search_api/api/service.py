"""The index behind the API: the model, the searcher over the published
snapshot, and the one writer.

Searches read the snapshot they started with; an upload or a deletion builds a
new snapshot while searches go on, and the service switches to it only once it
is published, so a search never sees a half-written index. Writes go through
``upload`` and ``delete``, which hold the write lock: a second write meanwhile
is refused (409), never queued behind a long one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from corpus.readers import SUPPORTED_SUFFIXES, format_of
from indexer.build import ModelMismatchError
from indexer.errors import disk_full
from indexer.snapshot import IndexLockedError, Snapshot, SnapshotDir
from search_api.api.errors import ApiError
from search_api.batching import BatchingQueryEncoder
from search_api.retrieval import Searcher
from search_api.services import EngineError
from search_api.settings import Settings

SUPPORTED = " ".join(SUPPORTED_SUFFIXES)


@dataclass
class Upload:
    """One file of a multipart upload: its name as sent and its body."""

    filename: str
    body: BinaryIO


class IndexService:
    """The model, the searcher over the current snapshot, and the one writer."""

    def __init__(self, settings: Settings, encoder=None, count_tokens=None, load_model: bool = True):
        from search_api.services import embedder, parallel_safe, query_encoder, retrieval_settings

        self.settings = settings
        self.snapshots = SnapshotDir(settings.index_dir)
        self.retrieval = retrieval_settings(settings)
        queries = encoder
        if encoder is None and load_model:
            # Passages (uploads) use the passage engine, loaded when first needed.
            encoder = embedder(settings, settings.query_threads)
            queries = query_encoder(settings)
            # Warm the query encoder now: the first person to search should not wait.
            queries.encode_queries(["khởi động"])
        if queries is not None and not parallel_safe(queries):
            # The torch model takes one call at a time: concurrent queries share calls.
            queries = BatchingQueryEncoder(queries)
        self.query_encoder = queries
        self.encoder = encoder
        self._count_tokens = count_tokens
        self._searcher: Searcher | None = None
        self._swap = threading.Lock()
        self._write = threading.Lock()
        self.last_write: dict | None = None
        self.started = time.time()
        self._recover_staged()

    @property
    def uploads_dir(self) -> Path:
        return self.settings.index_dir / "uploads"

    def open_searcher(self) -> Searcher | None:
        """The searcher already open, if it still serves the published snapshot; never opens one."""
        return self._serving(self.snapshots.current())

    def _serving(self, current: Snapshot | None) -> Searcher | None:
        searcher = self._searcher
        return searcher if current is not None and searcher is not None and searcher.snapshot.name == current.name else None

    def searcher(self) -> Searcher:
        """The searcher over the published snapshot, reopened when a new one appears."""
        current = self.snapshots.current()
        if current is None:
            raise ApiError(503, "no_index", "Chưa có chỉ mục: hãy lập chỉ mục hoặc tải văn bản lên")
        with self._swap:
            if self._serving(current) is None:
                old = self._searcher
                self._searcher = Searcher(current, self.query_encoder, self.retrieval)
                if old is not None:
                    # Requests that hold the old searcher finish on their own connections.
                    threading.Timer(30, old.close).start()
            return self._searcher

    # ------------------------------------------------------------ writes

    def upload(self, files: list[Upload], access=None):
        """Stage, then index ``files`` as one write; returns the indexer's report and
        the staged names. Limits are checked while staging, before the write lock. A
        file stays in ``uploads/`` only if the published index holds it; whatever
        happens, nothing else of the upload is left behind (see ``_Staging``)."""
        s = self.settings
        if not files:
            raise ApiError(422, "no_files", "Chưa chọn tệp nào")
        if len(files) > s.max_upload_files:
            raise ApiError(413, "too_many_files", f"Tối đa {s.max_upload_files} tệp một lần")
        with _Staging.begin(self.uploads_dir) as staging:
            staged = [staging.receive(f, s.max_upload_mb) for f in files]
            with self._writing():
                # Under the write lock: settling puts files back in uploads/, which
                # must not race with another upload placing files of the same name.
                self._recover_staged()
                try:
                    paths = staging.place(staged)
                    report = self._indexer().run(paths, access=access)
                finally:
                    staging.settle(self._published_as_is)
        self.last_write = {"at": time.time(), "kind": "upload", "documents": report.documents_indexed,
                           "chunks": report.chunks_indexed, "seconds": round(report.seconds, 2)}
        return report, staged

    def delete(self, doc_id: str):
        """Remove a document from every index; an uploaded file goes too, so the
        next indexing run does not bring it back."""
        doc = self.searcher().store.document(doc_id)
        if doc is None:
            raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
        with self._writing():
            report = self._indexer().remove([doc_id])
        source = Path(doc["source"])
        if source.parent == self.uploads_dir and source.exists():
            source.unlink()
        self.last_write = {"at": time.time(), "kind": "delete", "documents": report.documents_removed}
        return report

    def set_access(self, doc_ids: list[str], access):
        """Change who may read documents (``indexer.build.Access``): a new snapshot, nothing read again."""
        with self._writing():
            report = self._indexer().set_access(doc_ids, access)
        self.last_write = {"at": time.time(), "kind": "access", "documents": len(doc_ids)}
        return report

    def _recover_staged(self) -> None:
        """Settle the uploads of a process that died while writing (killed mid-index)."""
        _Staging.recover(self.uploads_dir, self._published_as_is)
        self.snapshots.clean_unfinished()

    def _published_as_is(self, path: Path) -> bool:
        """Whether the published index holds ``path`` as it is now (same size and time)."""
        current = self.snapshots.current()
        if current is None or not path.is_file():
            return False
        from indexer.store import ChunkStore

        store = ChunkStore(current.store, readonly=True)
        try:
            state = store.file_state(str(path.resolve()))
        finally:
            store.close()
        st = path.stat()
        return state is not None and state.mtime == st.st_mtime and state.size == st.st_size

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if not self._write.acquire(blocking=False):
            raise ApiError(409, "busy", "Đang có một lượt cập nhật chỉ mục khác; hãy thử lại sau")
        try:
            yield
        except IndexLockedError as exc:  # another process (a CLI run) holds the index
            raise ApiError(409, "busy", str(exc)) from exc
        except ModelMismatchError as exc:  # the index was embedded by another model or engine
            raise ApiError(409, "model_mismatch", str(exc)) from exc
        except EngineError as exc:
            raise ApiError(503, "engine_unavailable", str(exc)) from exc
        finally:
            self._write.release()

    def _indexer(self):
        from indexer.build import Indexer
        from search_api.services import index_settings, token_counter

        if self._count_tokens is None:
            self._count_tokens = token_counter(self.settings)
        return Indexer(self.settings.index_dir, _Interleaved(self.encoder), self._count_tokens,
                       index_settings(self.settings))


def safe_name(name: str) -> str:
    """A plain file name: no folders, no hidden files, nothing a shell would trip on."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f/]", "", base)
    if not base or base.startswith((".", "~$")):
        raise ApiError(422, "bad_filename", f"Tên tệp không hợp lệ: {name!r}")
    return base[:200]


class _Staging:
    """One upload on its way into ``uploads/``, in a folder of its own there
    (``.staging-<id>``, so a move into ``uploads/`` is a rename on the same disk):

        incoming/    the files as received
        replaced/    the files of the same name they replace, until the write is settled
        placed.json  the names moved into uploads/, written before the first move

    The folder is locked (flock) while its upload runs. ``settle`` keeps a placed
    file only if the published index holds it as it is, else puts back the file it
    replaced (or removes it), then removes the folder. A folder found unlocked
    belongs to a process that died mid-write: ``recover`` settles it the same way.
    """

    PREFIX = ".staging-"

    def __init__(self, uploads: Path, path: Path):
        self.uploads = uploads
        self.path = path

    @classmethod
    @contextmanager
    def begin(cls, uploads: Path) -> Iterator["_Staging"]:
        with disk_full(uploads), _guard(uploads):
            path = Path(tempfile.mkdtemp(prefix=cls.PREFIX, dir=uploads))
            fd = os.open(path, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            yield cls(uploads, path)
        finally:
            shutil.rmtree(path, ignore_errors=True)
            os.close(fd)

    @classmethod
    def recover(cls, uploads: Path, keep: Callable[[Path], bool]) -> None:
        if not any(uploads.glob(cls.PREFIX + "*")):
            return  # the usual case: nothing to do, and nothing written
        with _guard(uploads):
            for path in uploads.glob(cls.PREFIX + "*"):
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue
                try:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # its upload is still running
                    cls(uploads, path).settle(keep)
                    shutil.rmtree(path, ignore_errors=True)
                finally:
                    os.close(fd)

    def receive(self, upload: Upload, limit_mb: int) -> str:
        """Copy one uploaded file into ``incoming/``, refusing it as soon as it passes the limit."""
        name = safe_name(upload.filename)
        if format_of(Path(name)) is None:
            raise ApiError(415, "unsupported_type", f"Loại tệp không được hỗ trợ: {name} (hỗ trợ {SUPPORTED})")
        folder = self.path / "incoming"
        limit = limit_mb * 1024 * 1024
        size = 0
        with disk_full(folder):
            folder.mkdir(exist_ok=True)
            with open(folder / name, "wb") as out:
                while chunk := upload.body.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(413, "file_too_large", f"Tệp {name} vượt quá {limit_mb} MB")
                    out.write(chunk)
        return name

    def place(self, names: list[str]) -> list[Path]:
        """Move the received files into ``uploads/``, keeping the files they replace."""
        names = list(dict.fromkeys(names))
        with disk_full(self.path):
            (self.path / "replaced").mkdir()
            journal = self.path / "placed.json.tmp"
            journal.write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
            os.replace(journal, self.path / "placed.json")
        paths = []
        for name in names:
            final = self.uploads / name
            if final.exists():
                os.replace(final, self.path / "replaced" / name)
            os.replace(self.path / "incoming" / name, final)
            paths.append(final)
        return paths

    def settle(self, keep: Callable[[Path], bool]) -> None:
        try:
            names = json.loads((self.path / "placed.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return  # nothing was placed
        for name in names:
            final = self.uploads / name
            if keep(final):
                continue
            previous = self.path / "replaced" / name
            if previous.exists():
                os.replace(previous, final)
            else:
                final.unlink(missing_ok=True)


@contextmanager
def _guard(uploads: Path) -> Iterator[None]:
    """Held while a staging folder is created and locked, and while stale ones are
    looked for: a folder is never seen before its lock is taken."""
    uploads.mkdir(parents=True, exist_ok=True)
    with open(uploads / ".staging.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


class _Interleaved:
    """The service's model seen by the indexer in small batches: the model takes
    one call at a time, and short calls let the queries of other users through
    while an upload is being embedded."""

    def __init__(self, encoder, batch: int = 16):
        self.encoder = encoder
        self.batch = batch

    @property
    def dim(self) -> int:
        return self.encoder.dim

    @property
    def batch_size(self) -> int:
        # The indexer caches each call's vectors: one call, one batch of ours.
        return self.batch

    def model_info(self) -> dict:
        return self.encoder.model_info()

    def encode_passages(self, passages, show_progress: bool = False):
        import numpy as np

        parts = [self.encoder.encode_passages(passages[i:i + self.batch]) for i in range(0, len(passages), self.batch)]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
