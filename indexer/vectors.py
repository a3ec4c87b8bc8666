"""The FAISS index over passage vectors (inner product = cosine: vectors are L2-normalised).

Exact search ("flat") is the default: at 384 dimensions it scans 100,000
passages in a few milliseconds on two cores, and it supports removal. Past
``hnsw_threshold`` vectors an HNSW graph is used instead; it cannot remove
vectors, so it is rebuilt from the chunk store whenever passages change.
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
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
        return cls(index, kind)

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        index = faiss.read_index(str(path))
        inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
        kind = "hnsw" if isinstance(inner, faiss.IndexHNSWFlat) else "flat"
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
        return self.kind == "flat"

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
        if self.size == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        k = min(k, self.size)
        params = None
        if allowed is not None:
            if not allowed:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(list(allowed), dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, 128))
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
            k = min(k, len(allowed))
        scores, ids = self.index.search(q, k, params=params) if params is not None else self.index.search(q, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]
