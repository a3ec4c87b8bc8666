"""Indexing speed per passage engine, on the same corpora in one run, with the retrieval
quality of each engine's vectors beside it.

    .venv/bin/python benchmarks/indexing.py [--engines openvino,torch] [--skip-quality] [PATH ...]
    (default corpus: corpus/samples and ../shared/corpus/seeds)

For each engine (``VANBAN_PASSAGE_ENGINE``; precision ``VANBAN_MODEL_DTYPE``, default auto):

1. ``vanban index PATH …`` in a subprocess into a fresh data dir: wall time (Python
   start and model loading included: what someone indexing a folder waits), the
   indexer's own seconds, embedding seconds, model loading, passages, peak RSS.
   Passages/s end to end = passages / wall.
2. Quality and a larger corpus: alqac2022 (2,415 passages) indexed from scratch in
   this process with that engine (seconds, passages/s, model loading included), then
   hybrid MRR@10 / recall@10 with and without diacritics; the seed dev set's hybrid
   MRR@10 and success@5 on the seeds indexed with that engine. Queries are embedded
   by the query engine (``VANBAN_QUERY_ENGINE``), the same for every row.
3. For the first engine: the same corpus again, unchanged (nothing may be embedded),
   and relation extraction alone against the indexer's time.

Prints a table and writes benchmarks/results/indexing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.models import ReadProblem  # noqa: E402
from corpus.pipeline import parse_paths  # noqa: E402
from corpus.relations import document_references  # noqa: E402
from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import index_corpus, run_beir, run_index, write_results  # noqa: E402
from search_api.evaluate import load_needle_queries, needle_metrics  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import chunk_settings, passage_engine_name, query_encoder, token_counter  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
DEFAULT = [REPO / "corpus" / "samples", SHARED / "corpus" / "seeds"]


def index_subprocess(paths: list[Path], data_dir: Path, engine: str) -> dict:
    run = run_index([*map(str, paths), "--data-dir", str(data_dir)], dict(os.environ, VANBAN_PASSAGE_ENGINE=engine),
                    what=f"indexing with {engine}")
    report, wall = run.report, run.wall_seconds
    return {
        "wall_seconds": round(wall, 2),
        "indexer_seconds": round(report["seconds"], 2),
        "model_load_seconds": round(report["model_load_seconds"], 2),
        "embed_seconds": round(report["embed_seconds"], 2),
        "passages": report["chunks_indexed"],
        "embedded": report["chunks_embedded"],
        "passages_per_second_end_to_end": round(report["chunks_indexed"] / wall, 1),
        "passages_per_second_embedding": round(report["chunks_embedded"] / report["embed_seconds"], 1)
        if report["embed_seconds"] else None,
        "peak_rss_mib": round(run.peak_rss_mib),
    }


def quality(settings: Settings, tmp: Path) -> dict:
    folder = SHARED / "eval" / "alqac2022"
    out: dict = {}
    data_dir = tmp / "alqac2022"
    for qfile in ("queries.jsonl", "queries-noaccent.jsonl"):
        rep = run_beir(folder, data_dir, settings, queries_file=qfile, modes=["hybrid"])
        hybrid = rep["modes"]["hybrid"]["metrics"]
        out[qfile] = {"mrr@10": hybrid["mrr@10"], "recall@10": hybrid["recall@10"]}
        if qfile == "queries.jsonl":
            seconds = rep["index"]["seconds"]
            out["alqac2022_index"] = {"passages": rep["index"]["chunks"], "seconds": seconds,
                                      "passages_per_second": round(rep["index"]["chunks"] / seconds, 1)}
    seeds = tmp / "seeds"
    index_corpus([SHARED / "corpus" / "seeds"], seeds, settings)
    searcher = Searcher(SnapshotDir(seeds).require_current(), query_encoder(settings))
    queries = load_needle_queries(SHARED / "eval" / "seed-queries-dev.jsonl")
    res = needle_metrics(queries, lambda q: [(r.doc_id, r.text) for r in
                                            searcher.search(q, k=10, mode="hybrid", highlights=False).results])
    searcher.close()
    out["seed_dev"] = {k: res.by_kind["all"][k] for k in ("mrr@10", "success@5")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--engines", default="torch,openvino", help="comma-separated passage engines, baseline first")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "indexing.json")
    args = ap.parse_args()
    base = Settings.from_env()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    result: dict = {"corpus": [str(p) for p in args.paths], "engines": {},
                    "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    with tempfile.TemporaryDirectory() as tmp:
        for n, engine in enumerate(engines):
            settings = replace(base, passage_engine=engine)
            name = passage_engine_name(settings)
            row = index_subprocess(args.paths, Path(tmp) / f"{engine}-data", engine)
            if n == 0:
                again = index_subprocess(args.paths, Path(tmp) / f"{engine}-data", engine)
                result["reindex_unchanged"] = {"engine": name, "wall_seconds": again["wall_seconds"],
                                               "indexer_seconds": again["indexer_seconds"], "embedded": again["embedded"]}
            if not args.skip_quality:
                row["quality"] = quality(settings, Path(tmp) / f"{engine}-quality")
            result["engines"][name] = row
            print(f"{name}: {json.dumps(row, ensure_ascii=False)}", flush=True)

    parsed = [item.parsed for item in parse_paths(args.paths, token_counter(base), chunk_settings(base))
              if not isinstance(item, ReadProblem)]
    t = time.perf_counter()
    for _ in range(3):
        for p in parsed:
            document_references(p)
    relations = (time.perf_counter() - t) / 3
    first = next(iter(result["engines"].values()))
    result["relations_seconds"] = round(relations, 4)
    result["relations_share_of_indexer"] = round(relations / first["indexer_seconds"], 5)
    names = list(result["engines"])
    if len(names) > 1:
        b, f = result["engines"][names[0]], result["engines"][names[-1]]
        result["speedup_end_to_end"] = round(f["passages_per_second_end_to_end"] / b["passages_per_second_end_to_end"], 2)
        if "quality" in b and "quality" in f:
            result["speedup_alqac2022_index"] = round(
                f["quality"]["alqac2022_index"]["passages_per_second"] / b["quality"]["alqac2022_index"]["passages_per_second"], 2)
    print(f"\n{'engine':22} {'p/s e2e':>8} {'p/s embed':>9} {'wall s':>7} {'RSS MiB':>8} "
          f"{'alqac p/s':>9} {'MRR acc':>8} {'MRR noacc':>9} {'seed MRR':>8}")
    for name, row in result["engines"].items():
        q = row.get("quality", {})
        print(f"{name:22} {row['passages_per_second_end_to_end']:8} {row['passages_per_second_embedding'] or '-':>9} "
              f"{row['wall_seconds']:7} {row['peak_rss_mib']:8} "
              f"{q.get('alqac2022_index', {}).get('passages_per_second', '-'):>9} "
              f"{q.get('queries.jsonl', {}).get('mrr@10', '-'):>8} {q.get('queries-noaccent.jsonl', {}).get('mrr@10', '-'):>9} "
              f"{q.get('seed_dev', {}).get('mrr@10', '-'):>8}")
    write_results(args.out, result)


if __name__ == "__main__":
    main()
