"""A stand-in for the embedding model inside unit tests: a bag of folded
syllables hashed into a small vector. Deterministic and instant; the
end-to-end tests use the real model."""

from __future__ import annotations

import time
import zlib
from typing import Sequence

import numpy as np

from corpus.vietnamese import fold_key, syllables


class HashEncoder:
    def __init__(self, dim: int = 64, delay: float = 0.0, name: str = "hash-test", engine: str | None = None):
        self._dim = dim
        self.delay = delay
        self.name = name
        self.engine = engine
        self.calls = 0
        self.encoded = 0

    @property
    def dim(self) -> int:
        return self._dim

    def model_info(self) -> dict:
        info = {"name": self.name, "source_sha256": None}
        if self.engine is not None:
            info["engine"] = self.engine
        return info

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        if self.delay:
            time.sleep(self.delay)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for _, _, tok in syllables(fold_key(text)):
                out[i, zlib.crc32(tok.encode()) % self._dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def encode_passages(self, passages: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(passages)

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self._encode(queries)
