"""Exact (flat) against HNSW search over the vectors of a real index.

    .venv/bin/python benchmarks/vector_index.py [--data-dir DIR] [--queries 300]

Takes every passage vector of an existing index (default: the Pháp điển index
that benchmarks/large_index.py builds under $VANBAN_HOME/bench/phapdien) and
alqac2022's questions encoded as the server encodes them, then for each kind
of FAISS index: build time, size, single-thread search latency (k=10), and for
HNSW the recall@10 against exact search at several efSearch values. This is
what VANBAN_HNSW_THRESHOLD (exact below it, HNSW above) rests on.

Then the searcher's view of a large exact index (indexer.vectors.QuantizedScan:
int8 shortlist, exact re-rank) against the fp16 scan it replaces, at the depth
a search asks for (100 candidates), in one piece and in two: latency with a
512 MiB buffer read between queries (a search's other work pushes the vectors
out of the CPU caches; without it a scan of 40-80 MB runs from cache on a CPU
with a large L3 and looks twice as fast), recall@100 against exact float32 and
how often the 100 come out the same.
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


def candidate_scans(ids: np.ndarray, vectors: np.ndarray, dim: int, queries: np.ndarray, depth: int = 100) -> list[dict]:
    flat = VectorIndex.build(ids, vectors, dim, VectorSettings(kind="flat"))
    exact = [flat.search(q, depth) for q in queries]
    fp16 = VectorIndex.build(ids, vectors, dim, VectorSettings(kind="flat-fp16"))
    cold = np.ones(512 * 2**20 // 8)
    rows = []
    for name, parts in (("flat-fp16", 1), ("flat-fp16", 2), ("int8 shortlist + exact re-rank", 1),
                        ("int8 shortlist + exact re-rank", 2)):
        t = time.perf_counter()
        index = fp16.quantized(parts) if name.startswith("int8") else fp16 if parts == 1 else _halves(fp16)
        view_seconds = time.perf_counter() - t
        times, recall, same = [], [], 0
        for q, want in zip(queries, exact):
            cold.sum()
            t = time.perf_counter()
            hits = index.search(q, depth)
            times.append((time.perf_counter() - t) * 1000)
            recall.append(len({i for i, _ in hits} & {i for i, _ in want}) / len(want))
            # Equal scores may come in either order: compare scores where ids differ.
            same += [i for i, _ in hits] == [i for i, _ in want] or np.allclose(
                [s for _, s in hits], [s for _, s in want], atol=1e-4)
        rows.append({"scan": name, "pieces": parts, "prepare_seconds": round(view_seconds, 2),
                     "latency_ms": percentiles(times), "recall_at_100_vs_exact": round(float(np.mean(recall)), 5),
                     "same_100": f"{same}/{len(queries)}"})
        print(json.dumps(rows[-1]))
        if hasattr(index, "close"):
            index.close()
    return rows


class _halves:
    """The fp16 index in two pieces scanned side by side, as searchers did before the int8 shortlist."""

    def __init__(self, whole: VectorIndex):
        from concurrent.futures import ThreadPoolExecutor

        inner = faiss.downcast_index(whole.index.index)
        vectors, ids = inner.reconstruct_n(0, whole.size), faiss.vector_to_array(whole.index.id_map)
        half = whole.size // 2
        settings = VectorSettings(kind=whole.kind)
        self.pieces = [VectorIndex.build(ids[:half], vectors[:half], whole.dim, settings),
                       VectorIndex.build(ids[half:], vectors[half:], whole.dim, settings)]
        self._pool = ThreadPoolExecutor(1)

    def search(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        other = self._pool.submit(self.pieces[1].search, q, k)
        found = self.pieces[0].search(q, k) + other.result()
        return sorted(found, key=lambda hit: -hit[1])[:k]

    def close(self) -> None:
        self._pool.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--candidates-only", action="store_true",
                    help="only the candidate scans (written to vector_index_candidates.json)")
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
    if args.candidates_only:
        result["candidates"] = candidate_scans(ids, vectors, dim, queries)
        write_results(args.out.with_name(args.out.stem + "_candidates.json"), result, echo=True)
        return
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
    result["candidates"] = candidate_scans(ids, vectors, dim, queries)
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    write_results(args.out, result, echo=True)


if __name__ == "__main__":
    main()
