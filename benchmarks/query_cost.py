"""What a long or odd query costs, next to a normal one (issue 14: a cheap way to load the server).

    .venv/bin/python benchmarks/query_cost.py [--data-dir DIR | --samples] [--reps 15]

Times ``Searcher.search`` (k=10, hybrid, facets and highlights, as ``GET /api/search``
asks) on the product's query encoder, for queries of several shapes: ten words of
prose, 1,000 characters of prose (with and without diacritics), 1,000 combining
marks, a run of abbreviations, of numbers, of emoji, of punctuation, one
1,000-letter word, words of random letters. Every repetition is a different query of its shape, so no
cache (query vectors, highlighter) answers it. Shapes are interleaved so that
load on the machine spreads over all of them. Reports the median of each shape,
the median of each stage (``timings_ms``), and its ratio to the ten-word query;
the target is 1,000 characters of prose within 3 x ten words.

The index: by default the alqac2022 one that benchmarks/retrieval.py builds in
$VANBAN_HOME/bench/alqac2022 (2,415 passages); ``--samples`` indexes the bundled
samples into $VANBAN_HOME/bench/query-cost instead. Writes
benchmarks/results/query_cost.json.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.vietnamese import fold  # noqa: E402
from indexer.snapshot import SnapshotDir  # noqa: E402
from search_api.benchmark import bench_dir, index_corpus, write_results  # noqa: E402
from search_api.params import limits_of  # noqa: E402
from search_api.retrieval import RetrievalSettings, Searcher  # noqa: E402
from search_api.services import query_encoder  # noqa: E402
from search_api.settings import Settings  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "query_cost.json"
LONG = 1000  # the API's longest query (VANBAN_MAX_QUERY_CHARS)


def _prose() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus" / "samples").glob("*.txt")))
    return text.split()


def shapes() -> dict[str, Callable[[int], str]]:
    """Each shape: repetition number -> a query of that shape, different for each number."""
    words = _prose()

    def window(i: int, chars: int) -> str:
        return " ".join(words[200 + 41 * i: 200 + 41 * i + chars // 3])[:chars].rsplit(" ", 1)[0]

    abbreviations = "GPMB UBND HĐND NTM KT-XH GD&ĐT TN&MT ATTP PCCC BHYT".split()
    letters = "abcdeghiklmnopqrstuvxy"
    symbols = "!?.,;:-/()[]{}<>*+=#%"

    def scramble(i: int, alphabet: str, n: int) -> str:
        rng = random.Random(i)  # the same sequences on every run
        return "".join(rng.choice(alphabet) for _ in range(n))

    def mixed_abbreviations(i: int) -> str:
        words = [abbreviations[(i + j * j) % len(abbreviations)] for j in range(LONG // 6)]
        words.insert(2, str(1000 + i))
        return " ".join(words)[:LONG]

    return {
        "10 words": lambda i: " ".join(words[300 + 13 * i: 310 + 13 * i]),
        "1,000 characters": lambda i: window(i, LONG),
        "1,000 characters without diacritics": lambda i: fold(window(i, LONG)),
        "1,000 combining marks": lambda i: letters[i % len(letters)] + (chr(0x300 + i % 0x70) + "\u0323") * ((LONG - 1) // 2),
        "1,000 combining marks alone": lambda i: chr(0x300 + i % 0x70) * LONG,
        "abbreviations": mixed_abbreviations,
        "numbers": lambda i: " ".join(str(i + j) for j in range(LONG // 4))[:LONG],
        "emoji": lambda i: chr(0x1F600 + i) * LONG,
        "punctuation": lambda i: scramble(i, symbols, LONG),
        "one 1,000-letter word": lambda i: scramble(i, letters, LONG),
        # what costs the model most per character: words of letters in no language
        "random 30-letter words": lambda i: " ".join(scramble(i + 101 * w, letters, 30) for w in range(LONG // 31)),
    }


def measure(searcher: Searcher, reps: int) -> dict:
    makers = shapes()
    for q in ("khởi động", "bao so 3", "GPMB"):
        searcher.search(q, k=10, facets=True)
    totals: dict[str, list[float]] = {name: [] for name in makers}
    parts: dict[str, dict[str, list[float]]] = {name: {} for name in makers}
    chars: dict[str, int] = {}
    for i in range(reps):
        for name, make in makers.items():
            query = make(i)
            chars[name] = len(query)
            t = time.perf_counter()
            found = searcher.search(query, k=10, facets=True)
            totals[name].append((time.perf_counter() - t) * 1000)
            for stage, ms in found.timings_ms.items():
                parts[name].setdefault(stage, []).append(ms)
    base = statistics.median(totals["10 words"])
    out = {}
    for name in makers:
        median = statistics.median(totals[name])
        out[name] = {
            "chars": chars[name],
            "median_ms": round(median, 1),
            "max_ms": round(max(totals[name]), 1),
            "vs_10_words": round(median / base, 2),
            "stages_ms": {stage: round(statistics.median(v), 2) for stage, v in parts[name].items() if stage != "total"},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index (default: $VANBAN_HOME/bench/alqac2022)")
    parser.add_argument("--samples", action="store_true", help="index the bundled samples and use that index")
    parser.add_argument("--reps", type=int, default=15, help="queries of each shape (default 15)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.samples:
        data_dir = bench_dir(settings, "query-cost")
        index_corpus([REPO / "corpus" / "samples"], data_dir, settings)
    else:
        data_dir = args.data_dir or bench_dir(settings, "alqac2022")
    snapshot = SnapshotDir(data_dir).current()
    if snapshot is None:
        raise SystemExit(f"No index in {data_dir}: run benchmarks/retrieval.py first (it builds alqac2022), or pass --samples")
    searcher = Searcher(snapshot, query_encoder(settings), RetrievalSettings(limits=limits_of(settings)))
    counts = searcher.store.counts()
    figures = measure(searcher, args.reps)
    for name, row in figures.items():
        print(f"{name:38} {row['chars']:5} chars  median {row['median_ms']:7.1f} ms  "
              f"x{row['vs_10_words']:5.2f}  {row['stages_ms']}")
    long = figures["1,000 characters"]["vs_10_words"]
    result = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "index": str(data_dir.name),
        "passages": counts["chunks"],
        "query_engine": settings.query_engine,
        "reps": args.reps,
        "target": "1,000 characters of prose within 3 x the ten-word query",
        "target_met": long <= 3.0,
        "shapes": figures,
    }
    write_results(args.out, result)
    print(f"1,000 characters: x{long} the ten-word query (target <= 3) -> {args.out}")


if __name__ == "__main__":
    main()
