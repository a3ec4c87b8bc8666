"""Concurrent queries share one model call.

Embedding one query costs about 20-25 ms on these machines, almost all of it
fixed overhead; four queries in one batch cost little more than one. Under
concurrent load the server would otherwise embed queries one after another
(the model takes one call at a time). A single worker thread takes whatever
queries are waiting, embeds them together and hands each caller its vector; a
lone query goes straight through.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Sequence

import numpy as np


class BatchingQueryEncoder:
    def __init__(self, encoder, max_batch: int = 16):
        self.encoder = encoder
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[str, Future]] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._worker.start()

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        futures = []
        for q in queries:
            fut: Future = Future()
            self._queue.put((q, fut))
            futures.append(fut)
        return np.stack([f.result() for f in futures])

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.encoder.encode_queries([q for q, _ in batch])
            except BaseException as exc:  # the callers get the error, the worker lives on
                for _, fut in batch:
                    fut.set_exception(exc)
                continue
            for (_, fut), vec in zip(batch, vectors):
                fut.set_result(vec)
