"""The FAISS index over passage vectors (inner product = cosine: vectors are L2-normalised).

Exact search ("flat") is the default for small indexes, and supports removal.
From ``fp16_threshold`` vectors the scan reads half-precision copies instead
("flat-fp16", a FAISS scalar quantizer): at 103,723 Pháp điển passages a query
with 200 candidates takes 6.8 ms instead of 12.3 (one thread), and the first 10
are the same as float32's for 150 of 150 alqac2022 questions (199.8 of the 200
candidates on average): a scan is bound by memory, and fp16 halves it. It
supports removal too. Past ``hnsw_threshold`` vectors an HNSW graph is used; it
cannot remove vectors, so it is rebuilt from the chunk store whenever passages
change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Collection

import faiss
import numpy as np

from indexer.settings import VectorSettings


class VectorIndex:
    def __init__(self, index: faiss.Index, kind: str):
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, settings: VectorSettings = VectorSettings()) -> "VectorIndex":
        kind = settings.choose(len(ids))
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = settings.hnsw_ef_construction
            inner.hnsw.efSearch = settings.hnsw_ef_search
        elif kind == "flat-fp16":
            # fp16 needs no training: its range is fixed, and unit vectors sit well inside it.
            inner = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        elif kind == "flat":
            inner = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown vector index kind {kind!r}")
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
        return cls(index, kind)

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        index = faiss.read_index(str(path))
        inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
        if isinstance(inner, faiss.IndexHNSWFlat):
            kind = "hnsw"
        elif isinstance(inner, faiss.IndexScalarQuantizer):
            kind = "flat-fp16"
        else:
            kind = "flat"
        return cls(index, kind)

    def save(self, path: Path) -> None:
        """Write to ``path`` atomically (a temp file renamed over it)."""
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    @property
    def supports_remove(self) -> bool:
        return self.kind != "hnsw"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Collection[int]) -> None:
        if not ids:
            return
        if not self.supports_remove:
            raise RuntimeError("HNSW cannot remove vectors; rebuild the index from the store")
        self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(list(ids), dtype=np.int64)))

    def search(self, query: np.ndarray, k: int, allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) best first, restricted to ``allowed`` ids when given."""
        return _search_one(self.index, self.kind, self.size, query, k, allowed)

    def split(self, parts: int) -> "SplitScan":
        """For searching only: the vectors dealt into ``parts`` exact indexes of the same
        kind, scanned side by side (FAISS scans one query on one thread, and a scan of
        100,000 vectors is most of a search's time). HNSW is not split."""
        if self.kind == "hnsw" or parts < 2:
            raise ValueError("only exact indexes split")
        inner = faiss.downcast_index(self.index.index)
        vectors = inner.reconstruct_n(0, self.size)
        ids = faiss.vector_to_array(self.index.id_map)
        bounds = np.linspace(0, self.size, parts + 1).astype(int)
        settings = VectorSettings(kind=self.kind)
        pieces = [VectorIndex.build(ids[a:b], vectors[a:b], self.dim, settings) for a, b in zip(bounds, bounds[1:])]
        return SplitScan(pieces, self.kind, self.size, self.dim)


class SplitScan:
    """Exact search over pieces of one index, each piece on its own thread (FAISS
    releases the GIL), merged by score: the same answer as the whole index."""

    def __init__(self, pieces: list[VectorIndex], kind: str, size: int, dim: int):
        from concurrent.futures import ThreadPoolExecutor

        self.pieces = pieces
        self.kind = kind
        self.size = size
        self.dim = dim
        self._pool = ThreadPoolExecutor(max_workers=len(pieces) - 1, thread_name_prefix="vector-scan")

    def search(self, query: np.ndarray, k: int, allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        others = [self._pool.submit(piece.search, query, k, allowed) for piece in self.pieces[1:]]
        found = self.pieces[0].search(query, k, allowed)
        for other in others:
            found.extend(other.result())
        found.sort(key=lambda hit: -hit[1])
        return found[:k]

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def _search_one(index: faiss.Index, kind: str, size: int, query: np.ndarray, k: int,
                allowed: Collection[int] | None) -> list[tuple[int, float]]:
    if size == 0 or k <= 0:
        return []
    q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    k = min(k, size)
    params = None
    if allowed is not None:
        if not allowed:
            return []
        selector = faiss.IDSelectorBatch(np.asarray(list(allowed), dtype=np.int64))
        params = (
            faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, 128))
            if kind == "hnsw"
            else faiss.SearchParameters(sel=selector)
        )
        k = min(k, len(allowed))
    scores, ids = index.search(q, k, params=params) if params is not None else index.search(q, k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]
