"""Parse and chunk the 41,148 Pháp điển articles: time, peak memory, chunk counts.

    .venv/bin/python benchmarks/parse_phapdien.py [--limit N] [--path FILE]

Prints the figures and writes them to benchmarks/results/parse_phapdien.json.
The corpus lives in ../shared (not shipped with vanban).
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.chunker import ChunkSettings  # noqa: E402
from corpus.models import ReadProblem  # noqa: E402
from corpus.pipeline import parse_paths  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402
from search_api.services import token_counter  # noqa: E402
from search_api.settings import Settings  # noqa: E402

DEFAULT = REPO.parent / "shared" / "corpus" / "phapdien" / "phapdien_articles.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=None, help="stop after N documents")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "parse_phapdien.json")
    args = ap.parse_args()

    settings = Settings.from_env()
    t0 = time.perf_counter()
    count = token_counter(settings, sys.stderr)
    t_tok = time.perf_counter() - t0

    per_doc: list[int] = []
    tokens: list[int] = []
    problems: Counter[str] = Counter()
    chars = 0
    start = time.perf_counter()
    for item in parse_paths([args.path], count, ChunkSettings()):
        if isinstance(item, ReadProblem):
            problems[item.code] += 1
            continue
        per_doc.append(len(item.chunks))
        tokens.extend(c.n_tokens for c in item.chunks)
        chars += len(item.parsed.raw.text)
        if args.limit and len(per_doc) >= args.limit:
            break
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    dist = Counter(min(n, 10) for n in per_doc)
    result = {
        "corpus": str(args.path.name),
        "documents": len(per_doc),
        "characters": chars,
        "chunks": sum(per_doc),
        "problems": dict(problems),
        "seconds": round(elapsed, 1),
        "documents_per_second": round(len(per_doc) / elapsed, 1),
        "tokenizer_load_seconds": round(t_tok, 2),
        "peak_rss_mib": round(peak_mib),
        "chunks_per_document": {
            "mean": round(statistics.mean(per_doc), 2),
            "median": statistics.median(per_doc),
            "max": max(per_doc),
            "histogram (10 = 10 or more)": {str(k): dist[k] for k in sorted(dist)},
        },
        "tokens_per_chunk": {
            "mean": round(statistics.mean(tokens), 1),
            "p50": statistics.median(tokens),
            "p95": sorted(tokens)[int(0.95 * (len(tokens) - 1))],
            "max": max(tokens),
        },
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    write_results(args.out, result, echo=True)


if __name__ == "__main__":
    main()
