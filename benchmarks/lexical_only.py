"""Keyword search alone (indexer.lexical) on ALQAC 2022: quality, indexing time, latency.

    .venv/bin/python benchmarks/lexical_only.py [--grid] [--data DIR] [--out FILE]

Each article is one passage (chunk_id = row number, text = title + text, no
context). Queries are run with and without diacritics (queries-noaccent.jsonl,
same qrels). Reported: MRR@10, Recall@1/5/10/100, nDCG@10, indexing time and
single-thread query latency p50/p95. A reference row, "bm25_syllables", scores
with the exact-syllable field alone (plain BM25 over lower-cased syllables).
``--grid`` also evaluates a grid of weights around the defaults (the index is
built once; weights act at query time only).

Prints the figures and writes them to benchmarks/results/lexical_only.json.
The data lives in ../shared (not shipped with vanban).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import tantivy  # noqa: E402

from indexer.analysis import abbreviations  # noqa: E402
from indexer.lexical import DEFAULT_WEIGHTS, FieldWeights, LexicalDoc, LexicalIndex, Weights  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "alqac2022"
KS = (1, 5, 10, 100)


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        next(fh)  # header
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and int(parts[2]) > 0:
                out.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return out


def evaluate(index: LexicalIndex, queries: list[dict], qrels: dict, ids: list[str], timed: bool = False) -> dict:
    sums = {f"recall@{k}": 0.0 for k in KS} | {"mrr@10": 0.0, "ndcg@10": 0.0}
    latencies: list[float] = []
    n = 0
    for q in queries:
        rel = qrels.get(q["_id"])
        if not rel:
            continue
        n += 1
        t0 = time.perf_counter()
        hits = index.search(q["text"], k=max(KS))
        latencies.append(time.perf_counter() - t0)
        ranked = [ids[cid] for cid, _ in hits]
        for k in KS:
            sums[f"recall@{k}"] += len(set(ranked[:k]) & rel.keys()) / len(rel)
        for r, doc in enumerate(ranked[:10], start=1):
            if doc in rel:
                sums["mrr@10"] += 1.0 / r
                break
        dcg = sum(rel.get(doc, 0) / math.log2(r + 1) for r, doc in enumerate(ranked[:10], start=1))
        ideal = sorted(rel.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(r + 1) for r, g in enumerate(ideal, start=1))
        sums["ndcg@10"] += dcg / idcg if idcg else 0.0
    out = {key: round(v / n, 4) for key, v in sums.items()} | {"queries": n}
    if timed:
        lat = sorted(latencies)
        out["latency_ms"] = {
            "p50": round(statistics.median(lat) * 1000, 2),
            "p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000, 2),
            "mean": round(statistics.fmean(lat) * 1000, 2),
        }
    return out


def grid(base: Weights) -> list[tuple[str, Weights]]:
    """One-factor-at-a-time variations around ``base``."""
    a, p = base.accented, base.plain
    out: list[tuple[str, Weights]] = []
    for v in (0.0, 0.25, 0.5, 1.0):
        out.append((f"accented.folded={v}", replace(base, accented=replace(a, folded=v))))
    for v in (0.0, 0.25, 0.5, 1.0):
        out.append((f"accented.exact_bigram={v}", replace(base, accented=replace(a, exact_bigram=v))))
    for v in (0.0, 0.25, 0.5):
        out.append((f"accented.folded_bigram={v}", replace(base, accented=replace(a, folded_bigram=v))))
    for v in (0.0, 0.25, 0.5, 1.0):
        out.append((f"plain.folded_bigram={v}", replace(base, plain=replace(p, folded_bigram=v))))
    for v in (0.0, 0.25):
        out.append((f"plain.exact={v}", replace(base, plain=replace(p, exact=v))))
    return out


BM25_SYLLABLES = Weights(
    accented=FieldWeights(1.0, 0.0, 0.0, 0.0),
    plain=FieldWeights(1.0, 0.0, 0.0, 0.0),
    context=0.0,
    alternative_bigram=0.0,
    alternative_unigram=0.0,
    abbreviation=0.0,
)
BM25_FOLDED = replace(BM25_SYLLABLES, accented=FieldWeights(0.0, 1.0, 0.0, 0.0), plain=FieldWeights(0.0, 1.0, 0.0, 0.0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--grid", action="store_true", help="also evaluate a grid of weights")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lexical_only.json")
    args = ap.parse_args()

    corpus = load_jsonl(args.data / "corpus.jsonl")
    queries = {
        "accented": load_jsonl(args.data / "queries.jsonl"),
        "noaccent": load_jsonl(args.data / "queries-noaccent.jsonl"),
    }
    qrels = load_qrels(args.data / "qrels.tsv")
    ids = [d["_id"] for d in corpus]
    chars = sum(len(d.get("title", "")) + len(d.get("text", "")) + 1 for d in corpus)

    abbreviations()  # compile the table outside the timed part (done once per process)
    result: dict = {
        "dataset": "alqac2022",
        "passages": len(corpus),
        "characters": chars,
        "queries": {k: len(v) for k, v in queries.items()},
        "python": platform.python_version(),
        "tantivy": tantivy.__version__,
        "machine": platform.machine(),
        "weights": asdict(DEFAULT_WEIGHTS),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lexical"
        t0 = time.perf_counter()
        index = LexicalIndex(path)
        index.add(
            LexicalDoc(i, d["_id"], f"{d.get('title', '')}\n{d.get('text', '')}", "")
            for i, d in enumerate(corpus)
        )
        t_add = time.perf_counter() - t0
        index.commit()
        t_total = time.perf_counter() - t0
        index.close()
        result["indexing_seconds"] = {"analyse_and_add": round(t_add, 3), "total_with_commit": round(t_total, 3)}
        result["index_bytes"] = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        print(f"indexed {len(corpus)} passages ({chars} chars) in {t_total:.2f}s "
              f"(analyse+add {t_add:.2f}s), {result['index_bytes'] / 1e6:.1f} MB")

        configs = [("default", DEFAULT_WEIGHTS), ("bm25_syllables", BM25_SYLLABLES), ("bm25_folded", BM25_FOLDED)]
        if args.grid:
            configs += grid(DEFAULT_WEIGHTS)
        result["runs"] = {}
        for name, weights in configs:
            idx = LexicalIndex(path, weights=weights)
            idx.search("khởi động", k=1)  # warm the reader caches before timing
            row = {}
            for kind, qs in queries.items():
                row[kind] = evaluate(idx, qs, qrels, ids, timed=(name == "default"))
            result["runs"][name] = row
            acc, no = row["accented"], row["noaccent"]
            print(f"{name:32s} accented MRR@10 {acc['mrr@10']:.4f} R@1 {acc['recall@1']:.4f} "
                  f"R@10 {acc['recall@10']:.4f} nDCG@10 {acc['ndcg@10']:.4f} | no-accent MRR@10 "
                  f"{no['mrr@10']:.4f} R@1 {no['recall@1']:.4f} R@10 {no['recall@10']:.4f}")
        d = result["runs"]["default"]
        for kind in queries:
            r = d[kind]
            print(f"default {kind}: " + ", ".join(f"{k} {r[k]}" for k in ("mrr@10", "recall@1", "recall@5",
                  "recall@10", "recall@100", "ndcg@10")) + f"; latency ms {r['latency_ms']}")

    write_results(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
