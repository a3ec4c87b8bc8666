"""What access control costs a search: a reader restricted to some groups against
one who reads everything, on the same index and questions.

    .venv/bin/python benchmarks/access_latency.py [--groups 10] [--public 0.2]

The alqac2022 index that ``benchmarks/retrieval.py`` builds ($VANBAN_HOME/bench/
alqac2022) is copied, and its documents are shared out among ``--groups`` access
groups (a ``--public`` share left public), with ``indexer.build.Indexer.set_access``
-- nothing is read or embedded again. Then the 520 questions, hybrid, k=10, one
thread, warm, through ``Searcher.search``: as an administrator (``groups=None``), as a
member of one group, and of three groups. Reported: p50/p95 per reader and the
ratio to the unrestricted reader (target: at most 1.2x), and how many of a
restricted reader's results they may read (must be all).

Prints the figures and writes benchmarks/results/access_latency.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.build import Access, Indexer  # noqa: E402
from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.services import embedder, index_settings, query_encoder, retrieval_settings, token_counter  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
SEED = 16


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--public", type=float, default=0.2, help="share of documents left public")
    ap.add_argument("--repeat", type=int, default=2, help="passes over the questions, alternating readers")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "access_latency.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    source = bench_dir(settings, "alqac2022")
    if SnapshotDir(source).current() is None:
        raise SystemExit(f"{source} has no index: run benchmarks/retrieval.py first")
    questions = [json.loads(line)["text"] for line in (SHARED / "eval" / "alqac2022" / "queries.jsonl").open(encoding="utf-8")]

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("LOCK", "*.lock", "uploads"))
        snaps = SnapshotDir(data)
        searcher = Searcher(snaps.require_current(), None)
        doc_ids = sorted(d for d in searcher.store.readable_doc_ids(frozenset()))  # every document: all public now
        searcher.close()
        rng = random.Random(SEED)
        names = [f"nhom-{i + 1:02d}" for i in range(args.groups)]
        shares: dict[str, list[str]] = {n: [] for n in names}
        for doc_id in doc_ids:
            if rng.random() >= args.public:
                shares[rng.choice(names)].append(doc_id)
        indexer = Indexer(data, embedder(settings, settings.index_threads), token_counter(settings), index_settings(settings))
        t = time.perf_counter()
        for group, docs in shares.items():
            indexer.set_access(docs, Access(frozenset({group})))
        set_seconds = time.perf_counter() - t

        searcher = Searcher(snaps.require_current(), query_encoder(settings), retrieval_settings(settings))
        readers = {"everything": None, "one group": frozenset(names[:1]), "three groups": frozenset(names[:3])}
        for q in questions[:30]:  # warm the caches (query vectors, readable sets)
            for groups in readers.values():
                searcher.search(q, k=10, groups=groups)
        times: dict[str, list[float]] = {r: [] for r in readers}
        outside = {r: 0 for r in readers}
        for _ in range(args.repeat):
            for q in questions:
                for reader, groups in readers.items():
                    start = time.perf_counter()
                    response = searcher.search(q, k=10, groups=groups)
                    times[reader].append((time.perf_counter() - start) * 1000)
                    if groups is not None:
                        allowed = searcher.readable_docs(groups)
                        outside[reader] += sum(r.doc_id not in allowed for r in response.results)
        searcher.close()

    base = percentiles(times["everything"])
    out = {
        "index": "alqac2022 (benchmarks/retrieval.py)", "documents": len(doc_ids), "groups": args.groups,
        "public_share": args.public, "set_access_seconds": round(set_seconds, 2), "questions": len(questions),
        "passes": args.repeat, "readers": {},
    }
    for reader in readers:
        lat = percentiles(times[reader])
        out["readers"][reader] = {
            "latency_ms": lat, "p50_over_everything": round(lat["p50"] / base["p50"], 3),
            "p95_over_everything": round(lat["p95"] / base["p95"], 3), "results_outside_their_documents": outside[reader],
        }
        print(f"{reader:14} p50 {lat['p50']:6.2f} ms  p95 {lat['p95']:6.2f} ms  "
              f"x{lat['p50'] / base['p50']:.2f} / x{lat['p95'] / base['p95']:.2f}  outside: {outside[reader]}", flush=True)
    write_results(args.out, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
