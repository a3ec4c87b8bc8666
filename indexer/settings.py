"""Settings of the vector index, in a module of their own: the product's
configuration (``search_api.settings``) takes its defaults from here without
importing FAISS."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VectorSettings:
    kind: str = "auto"  # "auto", "flat" or "hnsw"
    hnsw_threshold: int = 200_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128

    def choose(self, n: int) -> str:
        if self.kind in ("flat", "hnsw"):
            return self.kind
        return "hnsw" if n >= self.hnsw_threshold else "flat"
