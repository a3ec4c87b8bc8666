"""Exact (flat) against HNSW search over the vectors of a real index.

    .venv/bin/python benchmarks/vector_index.py [--data-dir DIR] [--queries 300]

Takes every passage vector of an existing index (default: the Pháp điển index
that benchmarks/large_index.py builds under $VANBAN_HOME/bench/phapdien) and
alqac2022's questions encoded as the server encodes them, then for each kind
of FAISS index: build time, size, single-thread search latency (k=10), and for
HNSW the recall@10 against exact search at several efSearch values. This is
what VANBAN_HNSW_THRESHOLD (exact below it, HNSW above) rests on.
Prints the figures and writes benchmarks/results/vector_index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from indexer.store import ChunkStore  # noqa: E402
from indexer.vectors import VectorIndex, VectorSettings  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.services import query_encoder  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
K = 10


def timed_search(index: VectorIndex, queries: np.ndarray) -> tuple[list[list[int]], dict]:
    results, times = [], []
    for q in queries:
        t = time.perf_counter()
        hits = index.search(q, K)
        times.append((time.perf_counter() - t) * 1000)
        results.append([i for i, _ in hits])
    return results, percentiles(times)


def serialized_mib(index: VectorIndex) -> float:
    return round(len(faiss.serialize_index(index.index)) / 2**20, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "vector_index.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    data_dir = args.data_dir or bench_dir(settings, "phapdien")

    store = ChunkStore(SnapshotDir(data_dir).require_current().store, readonly=True)
    ids, vectors = store.all_vectors()
    store.close()
    questions = [json.loads(x)["text"] for x in open(SHARED / "eval" / "alqac2022" / "queries.jsonl", encoding="utf-8") if x.strip()]
    questions = list(dict.fromkeys(questions))[: args.queries]
    queries = query_encoder(settings).encode_queries(questions)
    dim = vectors.shape[1]
    build_threads = settings.index_threads or os.cpu_count() or 1

    result: dict = {"data_dir": str(data_dir), "vectors": len(ids), "dim": dim, "queries": len(questions),
                    "k": K, "search_threads": 1, "build_threads": build_threads}

    faiss.omp_set_num_threads(build_threads)
    t = time.perf_counter()
    flat = VectorIndex.build(ids, vectors, dim, VectorSettings(kind="flat"))
    flat_build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)  # as the server searches: one thread a query
    exact, flat_latency = timed_search(flat, queries)
    result["flat"] = {"build_seconds": round(flat_build, 2), "size_mib": serialized_mib(flat), "latency_ms": flat_latency}
    print(json.dumps({"flat": result["flat"]}))

    hnsw_settings = VectorSettings(kind="hnsw")
    faiss.omp_set_num_threads(build_threads)
    t = time.perf_counter()
    hnsw = VectorIndex.build(ids, vectors, dim, hnsw_settings)
    hnsw_build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    inner = faiss.downcast_index(hnsw.index.index)
    rows = []
    for ef in (32, 64, 128, 256):
        inner.hnsw.efSearch = ef
        found, latency = timed_search(hnsw, queries)
        recall = float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact) if b]))
        rows.append({"ef_search": ef, "recall_at_10_vs_exact": round(recall, 4), "latency_ms": latency})
        print(json.dumps(rows[-1]))
    result["hnsw"] = {"m": hnsw_settings.hnsw_m, "ef_construction": hnsw_settings.hnsw_ef_construction,
                      "default_ef_search": hnsw_settings.hnsw_ef_search, "build_seconds": round(hnsw_build, 1),
                      "size_mib": serialized_mib(hnsw), "ef_search": rows}
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    write_results(args.out, result, echo=True)


if __name__ == "__main__":
    main()
