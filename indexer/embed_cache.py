"""Vectors kept outside the snapshots, so that an indexing run that is killed
(or crashes on a bad file) loses no embedding work: the next run finds the
vectors it had already computed. Keyed by the model and the hash of the exact
text embedded; appended to as each batch is embedded.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from indexer.store import select_in


class EmbeddingCache:
    def __init__(self, path: Path, model: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.db = sqlite3.connect(self.path)
        # WAL: a kill between two batches leaves every committed batch readable.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, "
            "PRIMARY KEY (model, hash))"
        )
        self.db.commit()

    def get(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        rows = select_in(self.db, "SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({})", set(hashes),
                         params=[self.model])
        return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in rows}

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
            [(self.model, h, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()
