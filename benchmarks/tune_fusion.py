"""Grid over the fusion parameters (RRF k, dense and lexical weights) on the dev sets.

    .venv/bin/python benchmarks/tune_fusion.py

Runs each query once per side (lexical, dense: top 100), then re-fuses the
cached rankings for every setting, so the grid costs no extra model calls.
Queries are embedded as the product embeds them (VANBAN_QUERY_ENGINE, default
onnx-int8). Uses the indexes benchmarks/retrieval.py builds under $VANBAN_HOME/bench/.
Prints a table and writes benchmarks/results/tune_fusion.json.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import beir_metrics, dedupe_docs, load_beir, load_needle_queries, needle_metrics  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import query_encoder  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
GRID = {"rrf_k": [10, 30, 60], "dense_weight": [0.5, 0.7, 1.0, 1.3], "lexical_weight": [1.0]}


def sides(searcher: Searcher, text: str):
    lex = searcher.search(text, k=100, mode="lexical", highlights=False)
    den = searcher.search(text, k=100, mode="dense", highlights=False)
    return lex, den


def fuse(searcher: Searcher, lex, den, params: dict):
    searcher.settings = replace(searcher.settings, **params)
    lexical = [(r.chunk_id, r.score) for r in lex.results]
    dense = [(r.chunk_id, r.score) for r in den.results]
    # As the searcher does: an unaccented query whose diacritics could not be
    # restored keeps the low dense weight.
    restored = den.dense_query is not None or _accented(lex.query)
    weight = params["dense_weight"] if restored else searcher.settings.dense_weight_unaccented
    fused = searcher._fuse(lexical, dense, "hybrid", weight)
    by_id = {r.chunk_id: r for r in [*lex.results, *den.results]}
    return [by_id[c] for c, _ in fused if c in by_id]


def _accented(text: str) -> bool:
    from corpus.vietnamese import has_diacritics

    return has_diacritics(text)


def main() -> None:
    settings = Settings.from_env()
    encoder = query_encoder(settings)
    out: dict = {"query_engine": settings.query_engine, "grid": GRID, "rows": []}
    alqac = load_beir(SHARED / "eval" / "alqac2022")
    noacc = load_beir(SHARED / "eval" / "alqac2022", "queries-noaccent.jsonl")
    s_alqac = Searcher(SnapshotDir(bench_dir(settings, "alqac2022")).require_current(), encoder)
    s_seed = Searcher(SnapshotDir(bench_dir(settings, "seeds")).require_current(), encoder)
    cache_a = {q: sides(s_alqac, t) for q, t in alqac.queries.items()}
    cache_n = {q: sides(s_alqac, t) for q, t in noacc.queries.items()}
    seeds = load_needle_queries(SHARED / "eval" / "seed-queries-dev.jsonl")
    cache_s = {q.query: sides(s_seed, q.query) for q in seeds}
    base = s_alqac.settings
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID.keys(), values))
        row = {"params": params}
        for name, cache, data in (("alqac", cache_a, alqac), ("alqac_noaccent", cache_n, noacc)):
            run = {q: dedupe_docs(r.doc_id for r in fuse(s_alqac, *cache[q], params)) for q in data.queries}
            m = beir_metrics(run, data.qrels)
            row[name] = {"mrr@10": m["mrr@10"], "recall@10": m["recall@10"]}
        res = needle_metrics(seeds, lambda q: [(r.doc_id, r.text) for r in fuse(s_seed, *cache_s[q], params)][:10])
        row["seed_dev"] = {"mrr@10": res.by_kind["all"]["mrr@10"], "success@5": res.by_kind["all"]["success@5"]}
        out["rows"].append(row)
        print(json.dumps(row))
        s_alqac.settings = base
    path = REPO / "benchmarks" / "results" / "tune_fusion.json"
    write_results(path, out)


if __name__ == "__main__":
    main()
