"""Settings of the vector index, in a module of their own: the product's
configuration (``search_api.settings``) takes its defaults from here without
importing FAISS."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("auto", "flat", "flat-fp16", "hnsw")


@dataclass(frozen=True)
class VectorSettings:
    kind: str = "auto"  # one of KINDS
    # auto: exact float32 below fp16_threshold, exact over fp16 copies up to
    # hnsw_threshold, HNSW past it (benchmarks/vector_index.py has the figures).
    fp16_threshold: int = 50_000
    hnsw_threshold: int = 200_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128

    def choose(self, n: int) -> str:
        if self.kind in KINDS[1:]:
            return self.kind  # anything else is "auto", as before the fp16 kind
        if n >= self.hnsw_threshold:
            return "hnsw"
        return "flat-fp16" if n >= self.fp16_threshold else "flat"
