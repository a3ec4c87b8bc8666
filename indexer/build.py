"""Incremental indexing: files -> chunk store + vector index + lexical index, in one snapshot.

An unchanged file (same size and modification time) is not read again. A
changed file replaces its documents; a passage whose embedding text has been
embedded before (in this or any document) reuses its vector. ``prune`` drops
documents whose file is gone. Everything happens in a new snapshot published
only at the end, so an interrupted run changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import numpy as np

from corpus.chunker import ChunkSettings, TokenCounter, embedding_text
from corpus.kinds import passage_kind
from corpus.models import Chunk, ParsedDocument, ReadProblem
from corpus.pipeline import parse_item
from corpus.readers import ReadSettings, iter_files, read_path
from corpus.relations import Reference, document_references
from corpus.tasks import Task, extract_tasks
from indexer.embed_cache import EmbeddingCache
from indexer.errors import DiskFullError, is_disk_full
from indexer.lexical import LexicalDoc, LexicalIndex
from indexer.snapshot import Snapshot, SnapshotDir
from indexer.store import ChunkStore, FileState
from indexer.vectors import VectorIndex, VectorSettings
from indexer.vocabulary import Vocabulary

# Bump when parsing or chunking changes what passages a file gives.
PIPELINE_VERSION = 8
# Passages per model call when the encoder does not say (``batch_size``); each call's
# vectors are cached before the next, so this is also the most work a kill can lose.
DEFAULT_MODEL_BATCH = 32


class PassageEncoder(Protocol):
    @property
    def dim(self) -> int: ...

    def encode_passages(self, passages: Sequence[str], show_progress: bool = False) -> np.ndarray: ...

    def model_info(self) -> dict: ...


class ModelMismatchError(RuntimeError):
    pass


# Indexes written before the engine was recorded were all embedded by torch (bf16 or
# float32, which the key did not say): they stay usable with the torch engine.
LEGACY_ENGINE = "torch"


def model_key(encoder) -> dict:
    """What must be the same for an encoder's vectors to belong in an index: the model, its
    dimension, its source weights, and the engine and precision that run it. Recorded in
    the index and the embedding cache; a Ray worker's batches carry their worker's."""
    info = encoder.model_info()
    return {"name": info.get("name"), "dim": int(encoder.dim), "source_sha256": info.get("source_sha256"),
            "engine": info.get("engine")}


def _same_engine(stored: str | None, current: str | None) -> bool:
    if stored == LEGACY_ENGINE:
        return current is None or current.startswith("torch-")
    return stored == current


@dataclass(frozen=True)
class Access:
    """Who may read: everyone (``groups`` None) or the members of ``groups``."""

    groups: frozenset[str] | None = None


@dataclass(frozen=True)
class IndexSettings:
    chunking: ChunkSettings = ChunkSettings()
    vectors: VectorSettings = VectorSettings()
    flush_chunks: int = 512  # passages read before they are embedded and stored; bounds memory on large corpora
    reading: ReadSettings = ReadSettings()  # limits on one document, symbolic links


@dataclass
class IndexReport:
    files_seen: int = 0
    files_unchanged: int = 0
    files_read: int = 0
    documents_indexed: int = 0
    documents_removed: int = 0
    chunks_indexed: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_removed: int = 0
    problems: list[ReadProblem] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    model_load_seconds: float = 0.0  # part of ``seconds``, not of ``embed_seconds``
    pages_scanned: int = 0  # pages of scans read by OCR (or found in the OCR cache)
    scan_seconds: float = 0.0  # reading the files those pages came from
    snapshot: str | None = None
    changed: bool = False
    totals: dict = field(default_factory=dict)


@dataclass
class _Pending:
    parsed: ParsedDocument
    chunks: list[Chunk]
    texts: list[str]
    hashes: list[str]
    source: str
    kinds: list[str]
    tasks: list[Task]
    references: list[Reference]


def _close_all(*resources) -> None:
    """Close each one even if another fails: after a full disk tantivy's close raises
    too, and a store left open would keep the space of its deleted file until the
    process ends."""
    failure: BaseException | None = None
    for resource in resources:
        try:
            resource.close()
        except BaseException as exc:  # raised once all are closed; chained to what was being handled
            failure = failure or exc
    if failure is not None:
        raise failure


def _timed(items: Iterable, clock: list[float]) -> Iterator:
    """``items``, adding the time spent producing each to ``clock[0]`` (reading a file,
    OCR included, happens inside the reader's iterator)."""
    it = iter(items)
    while True:
        start = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            clock[0] += time.perf_counter() - start
            return
        clock[0] += time.perf_counter() - start
        yield item


def embed_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def passage_context(parsed: ParsedDocument) -> str | None:
    """Document-level context put before a passage's heading path when embedding:
    a JSONL record's title (an article's name), which the text itself lacks."""
    return parsed.raw.title if parsed.raw.format == "jsonl" and parsed.raw.title else None


def lexical_context(parsed: ParsedDocument, chunk: Chunk) -> str:
    return context_text(parsed.raw.title, parsed.metadata.subject, chunk.heading_path)


def context_text(title: str | None, subject: str | None, heading_path: Sequence[str]) -> str:
    """What the lexical index matches beside a passage, with a lower weight: its
    document's title and subject and its heading path."""
    parts = [title or "", subject or "", " ".join(heading_path)]
    return " \n".join(p for p in parts if p)


class Indexer:
    def __init__(
        self,
        data_dir: Path,
        encoder: PassageEncoder,
        count_tokens: TokenCounter,
        settings: IndexSettings = IndexSettings(),
        progress: Callable[[str], None] | None = None,
    ):
        self.snapshots = SnapshotDir(data_dir)
        self.encoder = encoder
        self.count_tokens = count_tokens
        self.settings = settings
        self.progress = progress or (lambda message: None)
        self._cache: EmbeddingCache | None = None

    def run(self, paths: Iterable[Path], prune: bool = False, rebuild: bool = False,
            access: Access | None = None) -> IndexReport:
        """Index ``paths``; with ``access``, every document under them (read now or
        unchanged) gets that access; without, a document keeps its own (new ones: public)."""
        paths = [Path(p) for p in paths]
        report = IndexReport()
        started = time.perf_counter()
        with self._staged(clone=not rebuild) as snap:
            self._run_in(snap, paths, prune, report, access)
            report.seconds = time.perf_counter() - started
            if report.changed or self.snapshots.current() is None:
                published = self.snapshots.publish(snap, self._manifest(report))
                report.snapshot = published.name
                report.changed = True
            else:
                self.snapshots.abandon(snap)
                current = self.snapshots.current()
                report.snapshot = current.name if current else None
        report.seconds = time.perf_counter() - started
        return report

    @contextmanager
    def _staged(self, clone: bool) -> Iterator[Snapshot]:
        """A new snapshot to write into, under the write lock. Unless published, it is
        removed whatever happens; a full disk anywhere (the snapshot, the embedding
        cache) is raised as one ``DiskFullError`` once the snapshot is gone, so the
        space it reports free is the space there really is."""
        root = self.snapshots.root
        with self.snapshots.lock():
            try:
                snap = self.snapshots.begin(clone=clone)
            except Exception as exc:
                if is_disk_full(exc):
                    raise DiskFullError.raised_by(exc, root, self.snapshots.clone_bytes() if clone else None) from exc
                raise
            try:
                yield snap
            except BaseException as exc:
                full = is_disk_full(exc)
                copied = (self.snapshots.clone_bytes() or 0) if clone else 0
                needed = max(self.snapshots.staged_bytes(snap), copied) if full else 0
                self.snapshots.abandon(snap)
                if full:
                    raise DiskFullError.raised_by(exc, root, needed or None) from exc
                raise

    # -- the work inside one snapshot ---------------------------------------

    def _run_in(self, snap: Snapshot, paths: list[Path], prune: bool, report: IndexReport, access: Access | None) -> None:
        store = ChunkStore(snap.store)
        lexical = LexicalIndex(snap.lexical)
        self._cache = EmbeddingCache(
            self.snapshots.root / "embedding-cache.sqlite", json.dumps(self._model_key(), sort_keys=True)
        )
        try:
            self._check_model(store)
            # Different parsing or chunking: every file must be read again (vectors of
            # passages that come out the same are still reused).
            reread = store.get_meta("pipeline") != self._pipeline_key()
            vectors = VectorIndex.load(snap.vectors) if snap.vectors.exists() else None
            added_ids: list[int] = []
            added_vecs: list[np.ndarray] = []
            removed_ids: list[int] = []
            pending: list[_Pending] = []
            # Files whose documents are all in ``pending``: their bookkeeping waits for
            # the flush, so that passages of many small files share the model's batches.
            finished: list[tuple[FileState, set[str]]] = []

            def flush() -> None:
                if pending:
                    ids, vecs, gone = self._flush(pending, store, lexical, report)
                    added_ids.extend(ids)
                    added_vecs.append(vecs)
                    removed_ids.extend(gone)
                    pending.clear()
                for state, stale in finished:
                    for doc_id in stale:
                        # Unless another file of this run now provides it.
                        if store.source_of(doc_id) == state.source:
                            removed_ids.extend(self._remove(doc_id, store, lexical, report))
                    store.record_file(state)
                finished.clear()

            waiting = 0
            for found in iter_files(paths, self.settings.reading):
                if isinstance(found, ReadProblem):
                    report.problems.append(found)
                    continue
                path, root = found
                report.files_seen += 1
                source = str(path.resolve())
                try:
                    st = path.stat()
                except OSError as exc:
                    report.problems.append(ReadProblem(str(path), "unreadable_file", f"Không đọc được tệp: {exc}"))
                    continue
                state = store.file_state(source)
                if state and not reread and state.mtime == st.st_mtime and state.size == st.st_size:
                    report.files_unchanged += 1
                    continue
                report.files_read += 1
                before = set(store.doc_ids_from_source(source))
                seen: set[str] = set()
                read_ok = False
                reading = [0.0]
                for item in _timed(read_path(path, root, self.settings.reading), reading):
                    read_ok = read_ok or not isinstance(item, ReadProblem)
                    if not isinstance(item, ReadProblem) and item.ocr_pages:
                        report.pages_scanned += len(item.ocr_pages)
                        report.scan_seconds += reading[0]
                        reading[0] = 0.0
                    done = parse_item(item, self.count_tokens, self.settings.chunking, source)
                    if isinstance(done, ReadProblem):
                        report.problems.append(done)
                        continue
                    doc_id = done.parsed.raw.doc_id
                    if doc_id in seen:
                        report.problems.append(
                            ReadProblem(source, "duplicate_id", f"Mã văn bản {doc_id} lặp lại; bản sau được bỏ qua", "warning")
                        )
                        continue
                    other = store.source_of(doc_id)
                    if other is not None and other != source:
                        report.problems.append(
                            ReadProblem(source, "doc_id_replaced", f"Mã văn bản {doc_id} đã có từ tệp {other}; bản mới thay thế", "warning")
                        )
                    seen.add(doc_id)
                    context = passage_context(done.parsed)
                    texts = [embedding_text(c, context) for c in done.chunks]
                    kinds = [passage_kind(c.heading_path, c.text) for c in done.chunks]
                    try:
                        tasks = extract_tasks(done.parsed)
                    except Exception as exc:  # the passages are still worth indexing
                        tasks = []
                        report.problems.append(ReadProblem(
                            source, "tasks_failed", f"Không trích được nhiệm vụ của {doc_id}: {type(exc).__name__}: {exc}",
                            "warning"))
                    try:
                        refs = document_references(done.parsed)
                    except Exception as exc:  # the passages are still worth indexing
                        refs = []
                        report.problems.append(ReadProblem(
                            source, "relations_failed",
                            f"Không đọc được các văn bản được dẫn chiếu trong {doc_id}: {type(exc).__name__}: {exc}", "warning"))
                    pending.append(
                        _Pending(done.parsed, done.chunks, texts, [embed_hash(t) for t in texts], source, kinds, tasks, refs)
                    )
                    waiting += len(done.chunks)
                    if waiting >= self.settings.flush_chunks:
                        flush()
                        waiting = 0
                if not read_ok:
                    # The file is unreadable now: what was indexed from it stays searchable.
                    continue
                finished.append((FileState(source, str(root.resolve()), st.st_mtime, st.st_size), before - seen))
                report.changed = True
            flush()

            if prune:
                for root in paths:
                    if not root.is_dir():
                        continue
                    for source in store.files_under(str(root.resolve())):
                        if not Path(source).exists():
                            for doc_id in store.doc_ids_from_source(source):
                                removed_ids.extend(self._remove(doc_id, store, lexical, report))
                            store.forget_file(source)
                            report.changed = True

            if access is not None:
                sources = [s for p in paths for s in (store.files_under(str(p.resolve())) if p.is_dir() else [str(p.resolve())])]
                docs = [d for source in sources for d in store.doc_ids_from_source(source)]
                if store.set_access(docs, access.groups):
                    report.changed = True

            # Counted once: bringing the other indexes in line (_finish) adds or removes no passage.
            report.totals = store.counts()
            if vectors is not None and vectors.kind != self.settings.vectors.choose(report.totals["chunks"]):
                report.changed = True  # another kind of vector index is wanted (settings, or a new release)
            if report.changed or vectors is None:
                self._finish(snap, store, lexical, vectors, added_ids, added_vecs, removed_ids)
        finally:
            cache, self._cache = self._cache, None
            _close_all(lexical, store, cache)

    def set_access(self, doc_ids: Iterable[str], access: Access) -> IndexReport:
        """Change who may read documents, in a new snapshot: nothing is read or embedded
        again. Unknown ids are reported as problems."""
        report = IndexReport()
        started = time.perf_counter()
        with self._staged(clone=True) as snap:
            store = ChunkStore(snap.store)
            try:
                known = []
                for doc_id in doc_ids:
                    if store.source_of(doc_id) is None:
                        report.problems.append(ReadProblem(doc_id, "not_found", "Không có văn bản này trong chỉ mục"))
                    else:
                        known.append(doc_id)
                report.changed = bool(store.set_access(known, access.groups))
                store.commit()
                report.totals = store.counts()
            finally:
                store.close()
            report.seconds = time.perf_counter() - started
            self._settle(snap, report)
        return report

    def _settle(self, snap: Snapshot, report: IndexReport) -> None:
        """Publish a write that changed something; drop one that changed nothing."""
        if report.changed:
            report.snapshot = self.snapshots.publish(snap, self._manifest(report)).name
        else:
            self.snapshots.abandon(snap)

    def remove(self, doc_ids: Iterable[str]) -> IndexReport:
        """Take documents out of every index, in a new snapshot. Unknown ids are
        reported as problems; the file a removed document came from is forgotten,
        so re-indexing its folder brings it back."""
        report = IndexReport()
        started = time.perf_counter()
        with self._staged(clone=True) as snap:
            store = ChunkStore(snap.store)
            lexical = LexicalIndex(snap.lexical)
            try:
                removed: list[int] = []
                for doc_id in doc_ids:
                    source = store.source_of(doc_id)
                    if source is None:
                        report.problems.append(ReadProblem(doc_id, "not_found", "Không có văn bản này trong chỉ mục"))
                        continue
                    removed.extend(self._remove(doc_id, store, lexical, report))
                    if not store.doc_ids_from_source(source):
                        store.forget_file(source)
                if report.documents_removed:
                    vectors = VectorIndex.load(snap.vectors) if snap.vectors.exists() else None
                    self._finish(snap, store, lexical, vectors, [], [], removed)
                    report.changed = True
                report.totals = store.counts()
            finally:
                _close_all(lexical, store)
            report.seconds = time.perf_counter() - started
            self._settle(snap, report)
        return report

    def _finish(
        self,
        snap: Snapshot,
        store: ChunkStore,
        lexical: LexicalIndex,
        vectors: VectorIndex | None,
        added_ids: list[int],
        added_vecs: list[np.ndarray],
        removed_ids: list[int],
    ) -> None:
        """Bring the vector index, lexical index and vocabulary in line with the store."""
        vectors = self._update_vectors(store, vectors, added_ids, added_vecs, removed_ids)
        vectors.save(snap.vectors)
        lexical.commit()
        store.set_meta("model", json.dumps(self._model_key(), ensure_ascii=False))
        store.set_meta("pipeline", self._pipeline_key())
        store.set_meta("updated_at", str(time.time()))
        store.commit()
        Vocabulary.build(store.iter_texts()).save(snap.vocabulary)

    def _flush(
        self, pending: list[_Pending], store: ChunkStore, lexical: LexicalIndex, report: IndexReport
    ) -> tuple[list[int], np.ndarray, list[int]]:
        hashes = [h for p in pending for h in p.hashes]
        known = store.vectors_for_hashes(hashes)
        missing = [h for h in hashes if h not in known]
        if missing and self._cache is not None:
            known.update(self._cache.get(missing))  # computed by a run that did not finish
        todo: dict[str, str] = {}
        for p in pending:
            for h, t in zip(p.hashes, p.texts):
                if h not in known:
                    todo.setdefault(h, t)
        if todo:
            known.update(self._embed(todo, report))
        report.chunks_embedded += len(todo)
        report.chunks_reused += len(hashes) - len(todo)

        ids: list[int] = []
        vecs: list[np.ndarray] = []
        removed: list[int] = []
        for p in pending:
            doc_id = p.parsed.raw.doc_id
            gone = store.delete_document(doc_id)
            if gone:
                lexical.delete_doc(doc_id)
                removed.extend(gone)
            matrix = np.stack([known[h] for h in p.hashes]) if p.hashes else np.zeros((0, self.encoder.dim), np.float32)
            chunk_ids = store.add_document(p.parsed, p.chunks, p.hashes, matrix, p.source, p.kinds, p.tasks, p.references)
            lexical.add(
                LexicalDoc(cid, doc_id, c.text, lexical_context(p.parsed, c)) for cid, c in zip(chunk_ids, p.chunks)
            )
            ids.extend(chunk_ids)
            vecs.append(matrix)
            report.documents_indexed += 1
            report.chunks_indexed += len(chunk_ids)
        rate = f", {report.chunks_embedded / report.embed_seconds:.1f} đoạn/giây" if report.embed_seconds else ""
        scans = ""
        if report.pages_scanned:
            per_minute = report.pages_scanned / report.scan_seconds * 60 if report.scan_seconds else 0.0
            scans = f"; {report.pages_scanned} trang quét đã nhận dạng chữ, {per_minute:.1f} trang/phút"
        self.progress(
            f"đã lập chỉ mục {report.documents_indexed} văn bản, {report.chunks_indexed} đoạn "
            f"({report.chunks_embedded} đoạn nhúng mới{rate}){scans}"
        )
        all_vecs = np.concatenate(vecs) if vecs else np.zeros((0, self.encoder.dim), np.float32)
        return ids, all_vecs, removed

    def _embed(self, todo: dict[str, str], report: IndexReport) -> dict[str, np.ndarray]:
        """Vectors of ``todo`` (hash -> text), one model batch per call, each batch
        written to the embedding cache as soon as it is computed: a run killed while
        embedding loses at most the batch in progress. An encoder with
        ``encode_stream(texts, batch_size)`` (a cluster's) gets all of them at once
        and hands back batches as they complete."""
        load = getattr(self.encoder, "load", None)
        if load is not None:  # a lazily loaded model: its loading is not embedding time
            t0 = time.perf_counter()
            load()
            report.model_load_seconds += time.perf_counter() - t0
        batch = max(1, int(getattr(self.encoder, "batch_size", None) or DEFAULT_MODEL_BATCH))
        # Longest first, as the model orders one call's texts itself: each batch pads to
        # similar lengths, so batching here costs no more padding than one big call.
        order = sorted(todo, key=lambda h: -len(todo[h]))
        if getattr(self.encoder, "encode_stream", None) is not None:
            return self._embed_stream(order, todo, batch, report)
        computed: dict[str, np.ndarray] = {}
        for start in range(0, len(order), batch):
            hashes = order[start:start + batch]
            t0 = time.perf_counter()
            vecs = self.encoder.encode_passages([todo[h] for h in hashes])
            report.embed_seconds += time.perf_counter() - t0
            fresh = dict(zip(hashes, vecs))
            if self._cache is not None:
                self._cache.put(fresh)
            computed.update(fresh)
        return computed

    def _embed_stream(self, order: list[str], todo: dict[str, str], batch: int,
                      report: IndexReport) -> dict[str, np.ndarray]:
        """``_embed`` through an encoder that computes batches elsewhere, several at a
        time (a cluster), and yields each as it completes, in any order. Its time is
        the wait for the whole stream, since the batches overlap."""
        texts = [todo[h] for h in order]
        computed: dict[str, np.ndarray] = {}
        t0 = time.perf_counter()
        stream = self.encoder.encode_stream(texts, batch)
        try:
            for rows, vecs in stream:
                fresh = {order[row]: vec for row, vec in zip(rows, vecs)}
                if self._cache is not None:
                    self._cache.put(fresh)
                computed.update(fresh)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:  # stop the work still under way when this run fails
                close()
            report.embed_seconds += time.perf_counter() - t0
        if len(computed) != len(order):
            raise RuntimeError(f"the encoder returned {len(computed)} vectors for {len(order)} passages")
        return computed

    def _remove(self, doc_id: str, store: ChunkStore, lexical: LexicalIndex, report: IndexReport) -> list[int]:
        gone = store.delete_document(doc_id)
        lexical.delete_doc(doc_id)
        report.documents_removed += 1
        report.chunks_removed += len(gone)
        return gone

    def _update_vectors(
        self,
        store: ChunkStore,
        vectors: VectorIndex | None,
        added_ids: list[int],
        added_vecs: list[np.ndarray],
        removed_ids: list[int],
    ) -> VectorIndex:
        dim = self.encoder.dim
        total = store.counts()["chunks"]
        wanted = self.settings.vectors.choose(total)
        if vectors is None or vectors.kind != wanted or (removed_ids and not vectors.supports_remove):
            ids, mat = store.all_vectors()
            return VectorIndex.build(ids, mat if len(ids) else np.zeros((0, dim), np.float32), dim, self.settings.vectors)
        vectors.remove(removed_ids)
        if added_ids:
            vectors.add(np.asarray(added_ids, dtype=np.int64), np.concatenate(added_vecs))
        return vectors

    def _pipeline_key(self) -> str:
        return json.dumps({"version": PIPELINE_VERSION, "chunking": asdict(self.settings.chunking)}, sort_keys=True)

    def _model_key(self) -> dict:
        return model_key(self.encoder)

    def _check_model(self, store: ChunkStore) -> None:
        stored = store.get_meta("model")
        if stored is None:
            return
        made_by = json.loads(stored)
        current = self._model_key()
        if {k: v for k, v in made_by.items() if k != "engine"} != {k: v for k, v in current.items() if k != "engine"}:
            raise ModelMismatchError(
                "Chỉ mục được tạo bằng một mô hình nhúng khác; chạy lại với --rebuild để lập chỉ mục lại từ đầu"
            )
        engine = made_by.get("engine", LEGACY_ENGINE)
        if not _same_engine(engine, current.get("engine")):
            # bf16 and float32, or two runtimes, round differently: one index holds one engine's vectors.
            raise ModelMismatchError(
                f"Vectơ của chỉ mục do bộ máy nhúng {engine} tạo; lần chạy này dùng {current.get('engine')}. "
                "Không trộn hai bộ máy trong một chỉ mục: chạy lại với --rebuild để nhúng lại từ đầu, hoặc đặt "
                "VANBAN_PASSAGE_ENGINE và VANBAN_MODEL_DTYPE như khi tạo chỉ mục"
            )

    def _manifest(self, report: IndexReport) -> dict:
        return {
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": self._model_key(),
            "totals": report.totals,
            "last_run": {
                "files_read": report.files_read,
                "documents_indexed": report.documents_indexed,
                "documents_removed": report.documents_removed,
                "chunks_embedded": report.chunks_embedded,
                "chunks_reused": report.chunks_reused,
                "problems": len(report.problems),
                "seconds": round(report.seconds, 2),
            },
        }
