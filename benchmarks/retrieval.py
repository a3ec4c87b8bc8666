"""Retrieval quality and query latency on the shared benchmarks.

    .venv/bin/python benchmarks/retrieval.py [--query-engine onnx-int8|onnx|torch] [--skip-alqac] [--skip-seeds]
    .venv/bin/python benchmarks/retrieval.py --latency-only [--query-engine …]

- seed dev queries (../shared/eval/seed-queries-dev.jsonl) over the five seeds:
  success@1/5, recall@10, MRR@10 per query kind, for lexical, dense and hybrid;
- alqac2022 (BEIR layout), accented and unaccented questions: Recall@1/5/10/100,
  MRR@10, nDCG@10 for the three modes;
- warm single-client latency of a k=10 hybrid search (query embedding included)
  on the alqac2022 index: p50/p95/p99, and apart the query encoder's own time.

Queries are embedded by --query-engine (default: VANBAN_QUERY_ENGINE, else the
product's onnx-int8); passages always by the torch model. Indexes go under
$VANBAN_HOME/bench/ and are reused (incremental) between runs.

Each run writes only what it measured, to a file of its own:
benchmarks/results/retrieval.json (onnx-int8) or retrieval_<engine>.json, and
for --latency-only retrieval_latency.json or retrieval_latency_<engine>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import bench_dir, index_corpus, run_beir, write_results  # noqa: E402
from search_api.evaluate import load_needle_queries, needle_metrics, percentiles  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import query_encoder  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"


def seed_dev(settings: Settings, progress) -> dict:
    data_dir = bench_dir(settings, "seeds")
    index_corpus([SHARED / "corpus" / "seeds"], data_dir, settings, progress)
    searcher = Searcher(SnapshotDir(data_dir).require_current(), query_encoder(settings))
    queries = load_needle_queries(SHARED / "eval" / "seed-queries-dev.jsonl")
    out = {}
    for mode in ("lexical", "dense", "hybrid"):
        def rank(q: str, mode: str = mode):
            return [(r.doc_id, r.text) for r in searcher.search(q, k=10, mode=mode, highlights=False).results]

        res = needle_metrics(queries, rank)
        out[mode] = {"by_kind": res.by_kind, "misses": [r for r in res.per_query if r["success@5"] < 1]}
    return out


WARM_UP = ["thủ tục hành chính", "quyền sử dụng đất", "hợp đồng lao động", "trách nhiệm bồi thường", "xử phạt vi phạm"]
ENGINES = ("onnx-int8", "onnx", "torch")
RESULTS = REPO / "benchmarks" / "results"


def latency(settings: Settings, data_dir: Path, queries: list[str]) -> dict:
    """Each distinct query once, after a warm-up on other queries; the searcher's
    cache of query vectors is emptied first so every query is embedded. The
    encoder alone is then timed on the same queries, to say how much of a search
    the query's forward pass (tokenising included) is."""
    encoder = query_encoder(settings)
    searcher = Searcher(SnapshotDir(data_dir).require_current(), encoder)
    for q in WARM_UP * 4:
        searcher.search(q, k=10)
    searcher._cache.clear()
    distinct = list(dict.fromkeys(queries))
    times = []
    for q in distinct:
        t = time.perf_counter()
        searcher.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    encode_times = []
    for q in distinct:
        t = time.perf_counter()
        encoder.encode_queries([q])
        encode_times.append((time.perf_counter() - t) * 1000)
    return {"queries": len(times), "k": 10, "mode": "hybrid", "query_threads": settings.query_threads,
            **percentiles(times), "query_encoder_ms": percentiles(encode_times),
            "query_encoder": engine_info(encoder)}


def engine_info(encoder) -> dict:
    """What actually embedded the queries (the ONNX engine falls back to torch when it cannot be set up)."""
    info = encoder.model_info()
    keep = ("engine", "variant", "dtype", "threads")
    return {"engine": "torch", **{k: info[k] for k in keep if k in info}}


def default_out(engine: str, latency_only: bool) -> Path:
    name = "retrieval_latency" if latency_only else "retrieval"
    return RESULTS / (f"{name}.json" if engine == "onnx-int8" else f"{name}_{engine}.json")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--query-engine", choices=ENGINES, default=None,
                    help="how queries are embedded (default: VANBAN_QUERY_ENGINE, else onnx-int8)")
    ap.add_argument("--skip-alqac", action="store_true")
    ap.add_argument("--skip-seeds", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="only the latency run, on the existing alqac2022 index")
    ap.add_argument("--out", type=Path, default=None, help="default: a results file named after the run (see above)")
    args = ap.parse_args()
    settings = Settings.from_env()
    if args.query_engine:
        settings = replace(settings, query_engine=args.query_engine)
    out = args.out or default_out(settings.query_engine, args.latency_only)

    def progress(message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)

    result: dict = {"machine": f"{platform.machine()}, {platform.python_version()}",
                    "query_engine": settings.query_engine, "query_threads": settings.query_threads}
    folder = SHARED / "eval" / "alqac2022"
    alqac_dir = bench_dir(settings, "alqac2022")
    queries = [json.loads(x)["text"] for x in open(folder / "queries.jsonl", encoding="utf-8") if x.strip()]
    if args.latency_only:
        result["latency_alqac2022"] = latency(settings, alqac_dir, queries)
        print("latency", json.dumps(result["latency_alqac2022"]))
        write_results(out, result)
        return
    if not args.skip_seeds:
        result["seed_dev"] = seed_dev(settings, progress)
        for mode, row in result["seed_dev"].items():
            print(f"seed dev {mode:8}", json.dumps(row["by_kind"], ensure_ascii=False))
    if not args.skip_alqac:
        result["alqac2022"] = {}
        for qfile in ("queries.jsonl", "queries-noaccent.jsonl"):
            rep = run_beir(folder, alqac_dir, settings, queries_file=qfile, progress=progress)
            result["alqac2022"][qfile] = rep
            for mode, row in rep["modes"].items():
                print(f"alqac2022 {qfile:24} {mode:8}", json.dumps(row["metrics"]))
        result["latency_alqac2022"] = latency(settings, alqac_dir, queries)
        print("latency", json.dumps(result["latency_alqac2022"]))
    write_results(out, result)


if __name__ == "__main__":
    main()
