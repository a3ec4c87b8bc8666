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

What is stored is the exact index. A searcher over a large one scans int8 codes
for a shortlist and re-ranks it exactly (``QuantizedScan``, built when the
index is loaded, never written).
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

    def quantized(self, parts: int = 1) -> "QuantizedScan":
        """For searching only: this exact index as an int8 shortlist re-ranked exactly
        (see ``QuantizedScan``), in ``parts`` pieces. HNSW has no such view."""
        if self.kind == "hnsw":
            raise ValueError("only exact indexes have a quantized view")
        inner = faiss.downcast_index(self.index.index)
        vectors = inner.reconstruct_n(0, self.size)
        ids = faiss.vector_to_array(self.index.id_map)
        # fp16 copies hold exactly what the fp16 index scored with; float32 stays float32.
        rows = vectors.astype(np.float16) if self.kind == "flat-fp16" else vectors
        return QuantizedScan(ids, rows, self.kind, parts)


class QuantizedScan:
    """Exact search over a large index in two steps: an int8 scan for a shortlist of
    ``shortlist_factor`` × k candidates, then their exact scores from the stored
    vectors. A scan of 100,000 vectors whose codes other work has pushed out of the CPU
    caches is bound by memory, and int8 codes are a quarter of float32 and half of fp16
    to read (FAISS decodes them to floats with SIMD). At 103,723 Pháp điển passages, 100 candidates, one thread,
    caches cold: 5.7 ms instead of 9.5 for the fp16 scan, and the 100 are the exact
    100 for 300 of 300 alqac2022 questions (benchmarks/vector_index.py --candidates-only).

    Each dimension is scaled to fill int8 (-127..127) by its largest magnitude in the
    index; the query is divided by the same scales, so that inner products keep their
    order, then scaled to fill int8 itself (FAISS rounds it to integers anyway).

    The rows are dealt into ``parts`` pieces that can be scanned on different threads
    (``shortlist``), then merged (``rerank``)."""

    shortlist_factor = 2
    # An allowed set this small is scored exactly, without a scan.
    exact_below = 4096

    def __init__(self, ids: np.ndarray, rows: np.ndarray, kind: str, parts: int = 1):
        self.kind = kind
        self.ids = np.asarray(ids, dtype=np.int64)
        self.rows = rows
        self.size, self.dim = rows.shape
        self._order = np.argsort(self.ids, kind="stable")
        self._sorted_ids = self.ids[self._order]
        peak = np.abs(rows).max(axis=0).astype(np.float32) if self.size else np.ones(self.dim, np.float32)
        peak[peak == 0] = 1.0
        self._scale = (127.0 / peak).astype(np.float32)
        self.bounds = [int(b) for b in np.linspace(0, self.size, max(1, parts) + 1)]
        self.pieces = []
        for a, b in zip(self.bounds, self.bounds[1:]):
            piece = faiss.IndexScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_8bit_direct_signed,
                                               faiss.METRIC_INNER_PRODUCT)
            for start in range(a, b, 65536):  # float32 codes in slices, not a float32 copy of the index
                chunk = rows[start:min(b, start + 65536)].astype(np.float32) * self._scale
                piece.add(np.clip(np.rint(chunk), -127, 127))
            self.pieces.append(piece)

    def search(self, query: np.ndarray, k: int, allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) best first, restricted to ``allowed`` ids when given. Every piece
        is scanned on this thread; ``rows_of``, ``shortlist`` and ``rerank`` let a caller scan
        pieces on threads it already has."""
        rows = self.rows_of(allowed)
        return self.rerank(query, k, [self.shortlist(query, k, rows, piece) for piece in range(len(self.pieces))], rows)

    def rows_of(self, allowed: Collection[int] | None) -> np.ndarray | None:
        """The row positions of the ``allowed`` chunk ids (None: every row), sorted."""
        if allowed is None:
            return None
        wanted = np.unique(np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        at = np.searchsorted(self._sorted_ids, wanted)
        inside = at < self.size
        at = at[inside][self._sorted_ids[at[inside]] == wanted[inside]]
        return np.sort(self._order[at])

    def shortlist(self, query: np.ndarray, k: int, rows: np.ndarray | None, piece: int) -> np.ndarray:
        """Row positions of one piece's best int8 scores among ``rows`` (``rows_of``): ``shortlist_factor`` × k."""
        a, b = self.bounds[piece], self.bounds[piece + 1]
        want = min(self.shortlist_factor * k, b - a)
        params = None
        if rows is not None:
            if len(rows) <= self.exact_below:
                return np.empty(0, np.int64)  # rerank scores every one of them
            local = rows[(rows >= a) & (rows < b)] - a
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(local))
            want = min(want, len(local))
        if want <= 0:
            return np.empty(0, np.int64)
        qq = np.ascontiguousarray(query, dtype=np.float32).reshape(-1) / self._scale
        top = float(np.abs(qq).max())
        qq = np.rint(qq * (127.0 / top) if top else qq).reshape(1, -1)
        _, found = self.pieces[piece].search(qq, int(want), params=params)
        found = found[0]
        return found[found >= 0].astype(np.int64) + a

    def rerank(self, query: np.ndarray, k: int, shortlists: list[np.ndarray], rows: np.ndarray | None = None
               ) -> list[tuple[int, float]]:
        """The ``k`` best of the pieces' shortlists by their exact scores: (chunk id, cosine)."""
        if rows is not None and len(rows) <= self.exact_below:
            return self._exact(rows, query, k)
        return self._exact(np.concatenate(shortlists) if shortlists else np.empty(0, np.int64), query, k)

    def _exact(self, positions: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not len(positions) or k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        scores = self.rows[positions].astype(np.float32) @ q
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(self.ids[positions[j]]), float(scores[j])) for j in best]
