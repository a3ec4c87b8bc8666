"""Where a search's time goes, stage by stage, on an existing index.

    .venv/bin/python benchmarks/search_profile.py --data-dir DIR [--queries N] [--out FILE]

alqac2022's questions (with diacritics, then without) run one at a time in this
process, as the API runs them (hybrid, k=10, facets, highlights), after a warm-up.
For each stage its own timing, measured by calling that stage alone on the same
query: the query encoder (no cache), FAISS (200 candidates), tantivy (200
candidates), the known-item check, then the whole ``Searcher.search`` without
facets and with them, the results grouped by document (what the page asks for),
and the JSON of the answer. Percentiles in milliseconds.

Writes benchmarks/results/search_profile.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.grouping import search_documents  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import query_encoder, retrieval_settings  # noqa: E402
from search_api.settings import Settings  # noqa: E402

ALQAC = REPO.parent / "shared" / "eval" / "alqac2022"


def clock(work) -> float:
    t = time.perf_counter()
    work()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "search_profile.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    queries: list[str] = []
    for name in ("queries.jsonl", "queries-noaccent.jsonl"):
        with open(ALQAC / name, encoding="utf-8") as fh:
            queries += [json.loads(line)["text"] for line in fh if line.strip()][: args.queries // 2]
    snap = SnapshotDir(args.data_dir).require_current()
    encoder = query_encoder(settings)
    searcher = Searcher(snap, encoder, retrieval_settings(settings))
    want = searcher.settings.candidates
    for q in queries[:10]:
        searcher.search(q, k=10, facets=True)
    stages: dict[str, list[float]] = {k: [] for k in (
        "encode", "faiss", "tantivy", "known_items", "search_no_facets", "search_with_facets", "by_document", "json")}
    for q in queries:
        text, _ = searcher._dense_query(q)
        vector = np.zeros(searcher.vectors.dim, np.float32)

        def encode() -> None:
            vector[:] = encoder.encode_queries([text])[0]

        stages["encode"].append(clock(encode))
        stages["faiss"].append(clock(lambda: searcher.vectors.search(vector, want)))
        stages["tantivy"].append(clock(lambda: searcher.lexical.search(q, want, None)))
        stages["known_items"].append(clock(lambda: searcher._known_items(q, None, None)))
        # Each whole search embeds its query again (the searcher keeps recent query vectors).
        searcher._cache.clear()
        stages["search_no_facets"].append(clock(lambda: searcher.search(q, k=10, facets=False)))
        searcher._cache.clear()
        holder: list = []
        stages["search_with_facets"].append(clock(lambda: holder.append(searcher.search(q, k=10, facets=True))))
        searcher._cache.clear()
        stages["by_document"].append(clock(lambda: search_documents(searcher, q, k=10, facets=True)))
        response = holder[0]
        stages["json"].append(clock(lambda: json.dumps(
            {"results": [r.to_json() for r in response.results], "facets": response.facets}, ensure_ascii=False)))
    searcher.close()
    result = {
        "data_dir": str(args.data_dir),
        "passages": searcher.vectors.size,
        "vectors": searcher.vectors.kind,
        "queries": len(queries),
        "query_engine": settings.query_engine,
        "stages_ms": {name: percentiles(times) for name, times in stages.items()},
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    for name, p in result["stages_ms"].items():
        print(f"{name:20} p50 {p['p50']:7.2f}  p95 {p['p95']:7.2f} ms")
    write_results(args.out, result)


if __name__ == "__main__":
    main()
