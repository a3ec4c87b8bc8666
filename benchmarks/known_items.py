"""Known-item search: is a document found by its number or its title? And are the relations its title states read?

    .venv/bin/python benchmarks/known_items.py [--limit 300] [--data-dir DIR] [--fresh] [--forms printed,lower,...]

1. Renders at least 1,500 Official Gazette records (``../shared/corpus/congbao``) as plain-text documents under
   DATA_DIR/docs (``benchmarks/known_items_corpus.py``; default DATA_DIR $VANBAN_HOME/bench/known-items) and
   indexes them into DATA_DIR/index with the real indexer (incremental: a re-run embeds nothing).
2. For ``--limit`` sampled documents, one query per form (``FORMS``: the number as printed, lower-cased, spoken
   with the year "thông tư 12 năm 2016", type and number "thông tư 12/2016" / "TT 12/2016", the subject without
   diacritics), ``Searcher.search(query, k=10)`` in hybrid mode. A query succeeds at rank r when the r-th document
   (results deduplicated by document) is one the query names; where several documents answer it equally (one
   number borne twice, one type/sequence/year from two issuers, one subject) any of them counts, and the number
   of such queries is reported. Per form: success@1, success@5, MRR@10, p50/p95 latency, the first misses.
3. Relations: ``corpus.relations.extract_references`` (title and own number given, as the indexer gives them) on
   each title of the hand-written gold
   ``benchmarks/data/known-items-relations-gold.jsonl``; a predicted reference matches a gold one with the same
   number (``corpus.numbers.number_key``); the record's own number is not a reference. Recall, precision,
   relation-type accuracy over matched references, counts per relation, the first misses.

The relation gold was written by hand from the wording of each title, one line per title: ``so_ky_hieu``,
``doc_id`` (the rendered file), ``title``, ``sample`` ("drawn": a seeded draw of 110 titles citing a rendered document,
30 citing only documents outside it and 50 citing none; "added": 13 titles picked so that repeals, implements and the
words "căn cứ" / "thay thế" used in another sense are represented), ``references`` ([{number as written, spaces
tidied; relation; resolvable: the target is rendered; targets: its doc_ids}]) and, where a label needed a decision,
``note``. Only numbered references are listed (a title naming "Luật Đầu tư" names no number); each number once, with
the relation of its first, governing mention. A document named inside another reference's description ("sửa đổi
Thông tư X hướng dẫn Nghị định Y": Y) is "cites"; "sửa đổi, bổ sung" of an annex issued with X amends X; a plan or
programme carrying X out ("Kế hoạch triển khai", "thực hiện … theo X") implements X. The Gazette titles have no
"thay thế", "hợp nhất" or "căn cứ" relation with a numbered target, so replaces, consolidates and basis have no gold.

Prints the figures and writes benchmarks/results/known_items.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.known_items_corpus import (  # noqa: E402
    FORMS,
    SEED,
    KnownItemQuery,
    load_records,
    make_queries,
    select_records,
    write_corpus,
)
from search_api.benchmark import bench_dir, index_corpus, write_results  # noqa: E402
from search_api.evaluate import dedupe_docs, percentiles  # noqa: E402
from search_api.settings import Settings  # noqa: E402

METADATA = REPO.parent / "shared" / "corpus" / "congbao" / "congbao_metadata.jsonl"
GOLD = REPO / "benchmarks" / "data" / "known-items-relations-gold.jsonl"
OUT = REPO / "benchmarks" / "results" / "known_items.json"
RELATIONS = ("amends", "replaces", "repeals", "guides", "corrects", "consolidates", "implements", "basis", "cites")


def score_forms(searcher, queries: list[KnownItemQuery], numbers: dict[str, str], misses_shown: int = 10) -> dict:
    by_form: dict[str, list[KnownItemQuery]] = {}
    for q in queries:
        by_form.setdefault(q.form, []).append(q)
    out = {}
    for form, qs in by_form.items():
        s1 = s5 = rr = 0.0
        latencies: list[float] = []
        misses = []
        for q in qs:
            t = time.perf_counter()
            response = searcher.search(q.text, k=10, highlights=False)
            latencies.append((time.perf_counter() - t) * 1000)
            ranked = dedupe_docs(r.doc_id for r in response.results)[:10]
            rank = next((i + 1 for i, d in enumerate(ranked) if d in q.gold), None)
            s1 += rank == 1
            s5 += rank is not None and rank <= 5
            rr += 1 / rank if rank else 0.0
            if rank != 1 and len(misses) < misses_shown:
                top = ranked[0] if ranked else None
                misses.append({"query": q.text, "want": numbers[q.doc_id], "rank": rank,
                               "top": numbers.get(top, top) if top else None})
        n = len(qs)
        out[form] = {
            "queries": n,
            "ambiguous": sum(q.ambiguous for q in qs),
            "success@1": round(s1 / n, 4),
            "success@5": round(s5 / n, 4),
            "mrr@10": round(rr / n, 4),
            "latency_ms": percentiles(latencies, (50, 95)),
            "misses": misses,
        }
    return out


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _predicted(ref) -> tuple[str, str | None]:
    """(number, relation) of whatever ``extract_references`` returns: it is being written beside this benchmark,
    so the number may be a string or a parsed number, the relation a string or an enum."""
    number = getattr(ref, "number", None)
    if number is None and isinstance(ref, (tuple, list)):
        number, relation = ref[0], ref[1] if len(ref) > 1 else None
    else:
        relation = getattr(ref, "relation", None)
    number = getattr(number, "text", number)
    relation = getattr(relation, "value", relation)
    return str(number), (str(relation) if relation is not None else None)


def score_relations(gold: list[dict]) -> dict:
    try:
        from corpus.relations import extract_references
    except ImportError:
        return {"available": False, "note": "corpus.relations.extract_references not available"}
    from corpus.numbers import number_key

    gold_n = pred_n = matched = typed_ok = resolvable_n = resolvable_found = 0
    per_relation = {r: Counter() for r in RELATIONS}
    misses = []
    for item in gold:
        own = number_key(item["so_ky_hieu"])
        want = {number_key(r["number"]): r["relation"] for r in item["references"]}
        resolvable = {number_key(r["number"]) for r in item["references"] if r.get("resolvable")}
        got: dict[str, str | None] = {}
        # as the indexer calls it (corpus.relations.document_references): the title apart, the own number given
        for ref in extract_references("", title=item["title"], own_number=item["so_ky_hieu"]):
            number, relation = _predicted(ref)
            key = number_key(number)
            if key != own:
                got.setdefault(key, relation)
        gold_n += len(want)
        resolvable_n += len(resolvable)
        pred_n += len(got)
        for key, relation in want.items():
            per_relation[relation]["gold"] += 1
            if key not in got:
                misses.append({"so_ky_hieu": item["so_ky_hieu"], "missed": key, "relation": relation})
                continue
            matched += 1
            resolvable_found += key in resolvable
            per_relation[relation]["found"] += 1
            if got[key] == relation:
                typed_ok += 1
                per_relation[relation]["right_type"] += 1
            else:
                misses.append({"so_ky_hieu": item["so_ky_hieu"], "number": key, "relation": relation, "predicted": got[key]})
        for key, relation in got.items():
            if key not in want:
                per_relation.get(relation, Counter())["spurious"] += 1
                misses.append({"so_ky_hieu": item["so_ky_hieu"], "spurious": key, "predicted": relation})
    return {
        "available": True,
        "titles": len(gold),
        "titles_with_references": sum(bool(g["references"]) for g in gold),
        "gold_references": gold_n,
        "predicted_references": pred_n,
        "recall": round(matched / gold_n, 4) if gold_n else None,
        "precision": round(matched / pred_n, 4) if pred_n else None,
        # references whose target is one of the rendered documents: the ones a link can be drawn for
        "recall_resolvable": round(resolvable_found / resolvable_n, 4) if resolvable_n else None,
        "relation_accuracy": round(typed_ok / matched, 4) if matched else None,
        "per_relation": {r: dict(c) for r, c in per_relation.items() if c},
        "errors": len(misses),
        "first_errors": misses[:20],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=300, help="documents sampled for queries (one query per form each)")
    ap.add_argument("--data-dir", type=Path, help="where the rendered corpus and its index go")
    ap.add_argument("--fresh", action="store_true", help="delete the data dir first (re-render, re-index)")
    ap.add_argument("--forms", default=",".join(FORMS), help=f"comma-separated, of: {', '.join(FORMS)}")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    forms = [f.strip() for f in args.forms.split(",") if f.strip()]
    unknown = set(forms) - set(FORMS)
    if unknown:
        ap.error(f"unknown forms: {', '.join(sorted(unknown))}")
    settings = Settings.from_env()
    data_dir = args.data_dir or bench_dir(settings, "known-items")
    if args.fresh and data_dir.exists():
        shutil.rmtree(data_dir)

    def progress(message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)

    records = select_records(load_records(METADATA))
    write_corpus(records, data_dir / "docs")
    t = time.perf_counter()
    report = index_corpus([data_dir / "docs"], data_dir / "index", settings, progress)
    index_wall = time.perf_counter() - t
    numbers = {r["file"]: r["so_ky_hieu"] for r in records}
    result: dict = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "query_engine": settings.query_engine,
        "corpus": {
            "records_rendered": len(records),
            "seed": SEED,
            "documents_queried": min(args.limit, len(records)),
            "numbers_borne_twice_or_more": sum(1 for n in Counter(numbers.values()).values() if n > 1),
        },
        "index": {
            "documents": report.totals.get("documents"),
            "chunks": report.totals.get("chunks"),
            "chunks_embedded": report.chunks_embedded,
            "seconds": round(report.seconds, 1),
            "wall_seconds": round(index_wall, 1),
        },
    }
    print("index", json.dumps(result["index"]))

    from indexer.snapshot import SnapshotDir
    from search_api.retrieval import Searcher
    from search_api.services import query_encoder, retrieval_settings

    searcher = Searcher(SnapshotDir(data_dir / "index").require_current(), query_encoder(settings), retrieval_settings(settings))
    for q in ("thông tư", "quyết định 1 năm 2020", "quy dinh muc thu phi"):  # warm-up: first calls load lazily
        searcher.search(q, k=10, highlights=False)
    queries = [q for q in make_queries(records, n=args.limit) if q.form in forms]
    result["forms"] = score_forms(searcher, queries, numbers)
    searcher.close()
    for form, row in result["forms"].items():
        print(f"{form:17} n={row['queries']:3} ambiguous={row['ambiguous']:3} success@1={row['success@1']:.3f} "
              f"success@5={row['success@5']:.3f} MRR@10={row['mrr@10']:.3f} p50={row['latency_ms'].get('p50')} ms "
              f"p95={row['latency_ms'].get('p95')} ms")

    result["relations"] = score_relations(load_gold()) if GOLD.exists() else {"available": False, "note": f"no gold: {GOLD}"}
    rel = result["relations"]
    if rel["available"]:
        print(f"relations: recall={rel['recall']} precision={rel['precision']} type accuracy={rel['relation_accuracy']} "
              f"({rel['gold_references']} gold, {rel['predicted_references']} predicted)")
        for name, counts in rel["per_relation"].items():
            print(f"  {name:13} {json.dumps(counts)}")
        for miss in rel["first_errors"]:
            print("  miss", json.dumps(miss, ensure_ascii=False))
    else:
        print("relations: not available (corpus.relations.extract_references)")
    write_results(args.out, result)


if __name__ == "__main__":
    main()
