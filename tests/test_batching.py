"""Concurrent queries share model calls and each gets its own vector."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fakes import HashEncoder
from search_api.batching import BatchingQueryEncoder


def test_concurrent_queries_get_their_own_vectors_in_fewer_calls():
    inner = HashEncoder(delay=0.05)
    enc = BatchingQueryEncoder(inner)
    queries = [f"nhiệm vụ số {i} của xã Đồng Lâm" for i in range(12)]
    out: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        out[i] = enc.encode_queries([queries[i]])[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = HashEncoder().encode_queries(queries)
    for i in range(12):
        assert np.allclose(out[i], expected[i])
    assert inner.calls < 12  # waiting queries were batched together
    assert enc.dim == inner.dim  # other attributes pass through


def test_errors_reach_the_caller_and_the_worker_survives():
    class Broken(HashEncoder):
        fail = True

        def encode_queries(self, queries):
            if self.fail:
                self.fail = False
                raise RuntimeError("model exploded")
            return super().encode_queries(queries)

    enc = BatchingQueryEncoder(Broken())
    with pytest.raises(RuntimeError, match="exploded"):
        enc.encode_queries(["bão số 3"])
    assert enc.encode_queries(["bão số 3"]).shape == (1, 64)
