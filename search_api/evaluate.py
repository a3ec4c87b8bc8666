"""Retrieval quality: BEIR-layout benchmarks and needle-judged query sets.

Metrics follow their usual definitions (BEIR: Recall@k, MRR@10, nDCG@10 with
graded qrels); rankings are of documents, so passages of the same document
count once, at the rank of the first one.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

# (query text) -> ranked passages as (doc_id, passage text)
RankFn = Callable[[str], Sequence[tuple[str, str]]]


@dataclass
class BeirDataset:
    name: str
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, queries_file: str = "queries.jsonl") -> BeirDataset:
    folder = Path(folder)
    queries: dict[str, str] = {}
    with open(folder / queries_file, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                queries[str(item["_id"])] = item["text"]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(folder / "qrels.tsv", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if n == 0 and not parts[-1].lstrip("-").isdigit():
                continue  # header
            if len(parts) >= 3:
                qrels[parts[0]][parts[1]] = int(parts[2])
    return BeirDataset(folder.name, folder / "corpus.jsonl", queries, dict(qrels))


def dedupe_docs(ranked: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for d in ranked:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def beir_metrics(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean Recall@1/5/10/100, MRR@10 and nDCG@10 over the queries that have qrels."""
    ks = (1, 5, 10, 100)
    sums = defaultdict(float)
    n = 0
    for qid, rel in qrels.items():
        relevant = {d for d, g in rel.items() if g > 0}
        if not relevant:
            continue
        n += 1
        ranked = run.get(qid, [])
        for k in ks:
            sums[f"recall@{k}"] += len(relevant & set(ranked[:k])) / len(relevant)
        rr = next((1.0 / (i + 1) for i, d in enumerate(ranked[:10]) if d in relevant), 0.0)
        sums["mrr@10"] += rr
        dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:10]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        sums["ndcg@10"] += dcg / idcg if idcg else 0.0
    return {k: round(v / n, 4) for k, v in sums.items()} if n else {}


def percentiles(values: Sequence[float], ps: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    if not values:
        return {}
    s = sorted(values)
    return {f"p{p}": round(s[min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1)], 2) for p in ps}


# -- needle-judged sets (../shared/eval/seed-queries-dev.jsonl) --------------------


def normalise_for_match(text: str) -> str:
    """The matching rule of the seed query sets: NFC, no '*', white space collapsed, lower case."""
    text = unicodedata.normalize("NFC", text).replace("*", "")
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class NeedleQuery:
    id: str
    query: str
    kind: str
    relevant: list[tuple[str, str]]  # (doc, needle)


def load_needle_queries(path: Path) -> list[NeedleQuery]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                out.append(NeedleQuery(q["id"], q["query"], q.get("kind", "all"),
                                       [(r["doc"], r["needle"]) for r in q["relevant"]]))
    return out


@dataclass
class NeedleResult:
    per_query: list[dict] = field(default_factory=list)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)


def needle_metrics(queries: list[NeedleQuery], rank: RankFn) -> NeedleResult:
    """success@1/5 (any relevant item in the top k), recall@10 (share of relevant
    items hit in the top 10) and MRR@10, per kind and overall."""
    rows = []
    for q in queries:
        passages = [(d, normalise_for_match(t)) for d, t in rank(q.query)[:10]]
        needles = [(d, normalise_for_match(n)) for d, n in q.relevant]
        hit_rank = [next((i + 1 for i, (pd, pt) in enumerate(passages) if pd == d and n in pt), None) for d, n in needles]
        first = min((r for r in hit_rank if r), default=None)
        rows.append({
            "id": q.id, "kind": q.kind, "query": q.query,
            "success@1": float(first == 1), "success@5": float(first is not None and first <= 5),
            "recall@10": sum(r is not None for r in hit_rank) / len(needles),
            "mrr@10": 1.0 / first if first else 0.0,
            "first_hit": first,
        })
    by_kind: dict[str, dict[str, float]] = {}
    for kind in sorted({r["kind"] for r in rows}) + ["all"]:
        group = [r for r in rows if kind == "all" or r["kind"] == kind]
        by_kind[kind] = {m: round(sum(r[m] for r in group) / len(group), 4)
                         for m in ("success@1", "success@5", "recall@10", "mrr@10")}
        by_kind[kind]["queries"] = len(group)
    return NeedleResult(rows, by_kind)


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    t = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - t) * 1000
