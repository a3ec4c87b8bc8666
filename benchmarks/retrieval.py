"""Retrieval quality and query latency on the shared benchmarks.

    .venv/bin/python benchmarks/retrieval.py [--skip-alqac] [--skip-seeds]

- seed dev queries (../shared/eval/seed-queries-dev.jsonl) over the five seeds:
  success@1/5, recall@10, MRR@10 per query kind, for lexical, dense and hybrid;
- alqac2022 (BEIR layout), accented and unaccented questions: Recall@1/5/10/100,
  MRR@10, nDCG@10 for the three modes;
- warm single-client latency of a k=10 hybrid search (query embedding included)
  on the alqac2022 index: p50/p95/p99.

Indexes go under $VANBAN_HOME/bench/ and are reused (incremental) between runs.
Prints the figures and writes benchmarks/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import index_corpus, run_beir, write_results  # noqa: E402
from search_api.evaluate import load_needle_queries, needle_metrics, percentiles  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import query_encoder  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"


def seed_dev(settings: Settings, progress) -> dict:
    data_dir = settings.home / "bench" / "seeds"
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


def latency(settings: Settings, data_dir: Path, queries: list[str]) -> dict:
    """Each distinct query once, after a warm-up on other queries; the searcher's
    cache of query vectors is emptied first so every query is embedded."""
    searcher = Searcher(SnapshotDir(data_dir).require_current(), query_encoder(settings))
    for q in WARM_UP * 4:
        searcher.search(q, k=10)
    searcher._cache.clear()
    times = []
    for q in dict.fromkeys(queries):
        t = time.perf_counter()
        searcher.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    return {"queries": len(times), "k": 10, "mode": "hybrid", "query_threads": settings.query_threads, **percentiles(times)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-alqac", action="store_true")
    ap.add_argument("--skip-seeds", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="only the latency run, on the existing alqac2022 index")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "retrieval.json")
    args = ap.parse_args()
    settings = Settings.from_env()

    def progress(message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)

    result: dict = {"machine": f"{platform.machine()}, {platform.python_version()}", "query_threads": settings.query_threads}
    if not args.skip_seeds:
        result["seed_dev"] = seed_dev(settings, progress)
        for mode, row in result["seed_dev"].items():
            print(f"seed dev {mode:8}", json.dumps(row["by_kind"], ensure_ascii=False))
    if args.latency_only:
        folder = SHARED / "eval" / "alqac2022"
        queries = [json.loads(x)["text"] for x in open(folder / "queries.jsonl", encoding="utf-8") if x.strip()]
        result = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else result
        result["latency_alqac2022"] = latency(settings, settings.home / "bench" / "alqac2022", queries)
        print("latency", json.dumps(result["latency_alqac2022"]))
        write_results(args.out, result)
        return
    if not args.skip_alqac:
        folder = SHARED / "eval" / "alqac2022"
        data_dir = settings.home / "bench" / "alqac2022"
        result["alqac2022"] = {}
        for qfile in ("queries.jsonl", "queries-noaccent.jsonl"):
            rep = run_beir(folder, data_dir, settings, queries_file=qfile, progress=progress)
            result["alqac2022"][qfile] = rep
            for mode, row in rep["modes"].items():
                print(f"alqac2022 {qfile:24} {mode:8}", json.dumps(row["metrics"]))
        queries = [json.loads(x)["text"] for x in open(folder / "queries.jsonl", encoding="utf-8") if x.strip()]
        result["latency_alqac2022"] = latency(settings, data_dir, queries)
        print("latency", json.dumps(result["latency_alqac2022"]))
    write_results(args.out, result)


if __name__ == "__main__":
    main()
