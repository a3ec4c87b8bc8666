"""How the lexical index's segments cost a search: tantivy's default writer against vanban's.

    .venv/bin/python benchmarks/lexical_segments.py --data-dir DIR [--queries 300] [--rounds 3] [--out FILE]

Takes every passage of an existing index (default: the Pháp điển index that
benchmarks/large_index.py builds) and writes it into two fresh lexical indexes
with the product's ``LexicalIndex``, in one commit as ``vanban index`` does:

* ``tantivy-default``: what vanban used before, a writer with tantivy's own thread
  count (one per core, at most 8) sharing a 256 MB heap: each thread writes its
  own segments;
* ``vanban``: ``indexer.lexical``'s writer today (``WRITER_THREADS``, ``WRITER_HEAP_BYTES``).

For each: build time (analysis included), segments, size, then alqac2022's questions
(with and without diacritics) searched for 100 candidates, as a search asks, the two
indexes taking turns for ``--rounds`` rounds (the machine's speed drifts), and
whether both give the same 100 passages in the same order (where they do not:
whether they differ only among passages tied with the 100th, which tantivy
breaks by the order it stored passages in).

Writes benchmarks/results/lexical_segments.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.build import context_text  # noqa: E402
from indexer.lexical import WRITER_HEAP_BYTES, WRITER_THREADS, LexicalDoc, LexicalIndex  # noqa: E402
from indexer.snapshot import SnapshotDir  # noqa: E402
from indexer.store import ChunkStore  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402

ALQAC = REPO.parent / "shared" / "eval" / "alqac2022"
CANDIDATES = 100
# tantivy's IndexWriter with num_threads=0: one thread per CPU, at most 8.
TANTIVY_THREADS = min(os.cpu_count() or 1, 8)
WRITERS = {
    "tantivy-default": {"threads": TANTIVY_THREADS, "heap_bytes": 256_000_000},
    "vanban": {"threads": WRITER_THREADS, "heap_bytes": WRITER_HEAP_BYTES},
}


def passages(store: ChunkStore, batch: int = 2000):
    ids = [row[0] for row in store.db.execute("SELECT id FROM chunks ORDER BY id")]
    for start in range(0, len(ids), batch):
        records = store.get_chunks(ids[start:start + batch])
        for cid in ids[start:start + batch]:
            r = records[cid]
            yield LexicalDoc(cid, r.doc_id, r.text, context_text(r.title, r.subject, r.heading_path))


def above_cut(hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The hits that score above the last one: which of several passages tied at the
    cut get in depends on the order tantivy stored them in, and so on the writer."""
    return [h for h in hits if h[1] > hits[-1][1]] if hits else []


def build(store: ChunkStore, path: Path, threads: int, heap_bytes: int) -> tuple[LexicalIndex, dict]:
    t = time.perf_counter()
    index = LexicalIndex(path, writer_heap_bytes=heap_bytes, writer_threads=threads)
    index.add(passages(store))
    index.commit()
    index.close()
    seconds = time.perf_counter() - t
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return index, {"threads": threads, "heap_mb": heap_bytes // 1_000_000, "build_seconds": round(seconds, 1),
                   "segments": index.num_segments, "passages": index.num_docs, "mib": round(size / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lexical_segments.json")
    args = ap.parse_args()
    data_dir = args.data_dir or bench_dir("phapdien")
    queries: list[str] = []
    for name in ("queries.jsonl", "queries-noaccent.jsonl"):
        with open(ALQAC / name, encoding="utf-8") as fh:
            queries += [json.loads(line)["text"] for line in fh if line.strip()][: args.queries // 2]
    store = ChunkStore(SnapshotDir(data_dir).require_current().store, readonly=True)
    work = Path(tempfile.mkdtemp(prefix="vanban-lexical-segments-"))
    try:
        indexes, result = {}, {}
        for name, writer in WRITERS.items():
            indexes[name], result[name] = build(store, work / name, writer["threads"], writer["heap_bytes"])
            print(f"{name:16} built in {result[name]['build_seconds']} s: {result[name]['segments']} segments")
        for q in queries[:20]:  # warm-up
            for index in indexes.values():
                index.search(q, CANDIDATES)
        times: dict[str, list[float]] = {name: [] for name in indexes}
        for _ in range(args.rounds):
            for name, index in indexes.items():
                for q in queries:
                    t = time.perf_counter()
                    index.search(q, CANDIDATES)
                    times[name].append((time.perf_counter() - t) * 1000)
        first, second = indexes.values()
        same = cut_ties = 0
        for q in queries:
            a, b = first.search(q, CANDIDATES), second.search(q, CANDIDATES)
            same += a == b
            cut_ties += a != b and above_cut(a) == above_cut(b)
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)
    for name in indexes:
        result[name]["search_ms"] = percentiles(times[name])
        print(f"{name:16} search p50 {result[name]['search_ms']['p50']:.2f} ms, p95 {result[name]['search_ms']['p95']:.2f} ms")
    print(f"same {CANDIDATES} candidates, same order: {same} of {len(queries)} questions; "
          f"the others differ only among passages tied at the cut: {cut_ties}")
    write_results(args.out, {
        "data_dir": str(data_dir),
        "queries": len(queries),
        "rounds": args.rounds,
        "candidates": CANDIDATES,
        "writers": result,
        "same_candidates": same,
        "differ_only_in_ties_at_the_cut": cut_ties,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    })


if __name__ == "__main__":
    main()
