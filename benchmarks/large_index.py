"""A large corpus indexed and served end to end: time, memory, size on disk, latency.

    .venv/bin/python benchmarks/large_index.py [--fresh] [--limit N] [--data-dir DIR] [--source FILE]

Default source: the whole Pháp điển corpus (../shared/corpus/phapdien, 41,148
articles); default data dir: $VANBAN_HOME/bench/phapdien.

1. ``vanban index SOURCE`` in a subprocess: wall time, the indexer's report
   (passages, embedded, embedding seconds), peak RSS, and the RSS sampled every
   few seconds (to see whether memory grows with the corpus). Without
   ``--fresh`` an existing index is updated, so a run that was killed resumes
   from the embedding cache (the figures then say how much was embedded).
2. The same command again: the unchanged corpus (nothing may be embedded).
3. Size on disk of the published snapshot (store, vectors, lexical index,
   vocabulary) and of the embedding cache beside it.
4. ``vanban serve`` over the index: RSS after start-up, then alqac2022's
   questions sent one at a time to GET /api/search (k=10): latency
   percentiles (passages, then the same questions grouped by document as the
   search page asks) and RSS afterwards; the top hit of a few typed queries, to see
   that the answers are about the question.

``--skip-index`` measures an index that is already there (steps 3-4).
Prints the figures and writes benchmarks/results/large_index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import bench_dir, rss_mib, run_index, served, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
SOURCE = SHARED / "corpus" / "phapdien" / "phapdien_articles.jsonl"
# Typed as a user would, with and without diacritics; the top hit is recorded for a reader to judge.
EXAMPLES = [
    "thời hạn giải quyết khiếu nại lần đầu",
    "dieu kien cap giay chung nhan quyen su dung dat",
    "bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất",
    "xu phat vi pham hanh chinh ve an toan thuc pham",
]


def index_source(source: Path, data_dir: Path) -> dict:
    run = run_index([str(source), "--data-dir", str(data_dir)], sample_s=5.0)
    report = run.report
    # RSS at each tenth of the run: flat means memory does not grow with the corpus.
    step = max(1, len(run.rss_mib_over_time) // 10)
    curve = [[round(t), round(r)] for t, r in run.rss_mib_over_time[::step]]
    return {
        "wall_seconds": round(run.wall_seconds, 1),
        "indexer_seconds": round(report["seconds"], 1),
        "embed_seconds": round(report["embed_seconds"], 1),
        "model_load_seconds": round(report.get("model_load_seconds", 0.0), 1),
        "files_read": report["files_read"],
        "documents": report["totals"].get("documents"),
        "passages": report["totals"].get("chunks"),
        "passages_indexed": report["chunks_indexed"],
        "passages_embedded": report["chunks_embedded"],
        "passages_reused": report["chunks_reused"],
        "embedded_per_second": round(report["chunks_embedded"] / report["embed_seconds"], 2) if report["embed_seconds"] else None,
        "problems": len(report["problems"]),
        "peak_rss_mib": round(run.peak_rss_mib),
        "rss_mib_over_time": curve,
    }


def disk_usage(data_dir: Path) -> dict:
    snap = SnapshotDir(data_dir).require_current()
    parts: dict[str, int] = {}
    for f in snap.path.rglob("*"):
        if f.is_file():
            top = f.relative_to(snap.path).parts[0]
            parts[top] = parts.get(top, 0) + f.stat().st_size
    cache = sum(f.stat().st_size for f in data_dir.glob("embedding-cache.sqlite*"))
    mib = 1024 * 1024
    return {
        "snapshot_mib": round(sum(parts.values()) / mib, 1),
        "snapshot_parts_mib": {k: round(v / mib, 1) for k, v in sorted(parts.items())},
        "embedding_cache_mib": round(cache / mib, 1),
    }


def serve_and_query(data_dir: Path, queries: list[str]) -> dict:
    with served(data_dir) as (base, server):
        rss_start = rss_mib(server.pid)
        times: list[float] = []
        errors = 0
        with httpx.Client(timeout=60) as c:
            for q in EXAMPLES:  # warm-up, and the examples' answers
                c.get(f"{base}/api/search", params={"q": q, "k": 10})
            for q in queries:
                t = time.perf_counter()
                r = c.get(f"{base}/api/search", params={"q": q, "k": 10})
                times.append((time.perf_counter() - t) * 1000)
                errors += r.status_code != 200
            # The same questions as the search page asks them: results grouped by document.
            by_document: list[float] = []
            for q in queries:
                t = time.perf_counter()
                r = c.get(f"{base}/api/search", params={"q": q, "k": 10, "group": "document"})
                by_document.append((time.perf_counter() - t) * 1000)
                errors += r.status_code != 200
            examples = []
            for q in EXAMPLES:
                hits = c.get(f"{base}/api/search", params={"q": q, "k": 3}).json()["results"]
                top = hits[0] if hits else None
                examples.append({
                    "query": q,
                    "top_doc": top["doc_id"] if top else None,
                    "top_heading": (top["citation"].get("heading_path") or [None])[-1] if top else None,
                    "top_text": top["text"][:160] if top else None,
                })
            stats = c.get(f"{base}/api/stats").json()
        return {
            "rss_mib_after_start": round(rss_start),
            "rss_mib_after_queries": round(rss_mib(server.pid)),
            "queries": len(times),
            "errors": errors,
            "latency_ms": percentiles(times),
            "latency_ms_by_document": percentiles(by_document),
            "vectors": stats.get("vectors"),
            "examples": examples,
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--limit", type=int, default=None, help="index only the first N lines of a JSONL source")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--fresh", action="store_true", help="delete the data dir (and its embedding cache) first")
    ap.add_argument("--skip-index", action="store_true", help="measure the index that is there")
    ap.add_argument("--queries", type=int, default=300, help="alqac2022 questions sent to the server")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "large_index.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    data_dir = args.data_dir or bench_dir(settings, args.source.stem.split("_")[0])

    questions = [json.loads(x)["text"] for x in open(SHARED / "eval" / "alqac2022" / "queries.jsonl", encoding="utf-8") if x.strip()]
    questions = list(dict.fromkeys(questions))[: args.queries]

    if args.limit and args.data_dir is None:
        data_dir = data_dir.with_name(f"{data_dir.name}-{args.limit}")
    result: dict = {"source": str(args.source), "limit": args.limit, "data_dir": str(data_dir)}
    if not args.skip_index:
        if args.fresh and data_dir.exists():
            shutil.rmtree(data_dir)
        source = args.source
        if args.limit:
            # A fixed path beside the index, so that a second run sees the same, unchanged file.
            source = data_dir.with_name(f"{data_dir.name}-source.jsonl")
            if not source.exists():
                source.parent.mkdir(parents=True, exist_ok=True)
                with open(args.source, encoding="utf-8") as src, open(source, "w", encoding="utf-8") as dst:
                    for i, line in enumerate(src):
                        if i >= args.limit:
                            break
                        dst.write(line)
        result["index"] = index_source(source, data_dir)
        print(json.dumps({"index": result["index"]}, ensure_ascii=False))
        result["reindex_unchanged"] = index_source(source, data_dir)
        print(json.dumps({"reindex_unchanged": result["reindex_unchanged"]}, ensure_ascii=False))
    result["disk"] = disk_usage(data_dir)
    result["serve"] = serve_and_query(data_dir, questions)
    result["settings"] = {"index_threads": settings.index_threads, "query_threads": settings.query_threads,
                          "query_engine": settings.query_engine, "model_dtype": settings.model_dtype,
                          "hnsw_threshold": settings.hnsw_threshold}
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    write_results(args.out, result, echo=True)


if __name__ == "__main__":
    main()
