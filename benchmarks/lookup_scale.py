"""Looking documents up by number and by title at 100,000 documents: latency of
``search_api.lookup.lookup_documents`` (the path of ``vanban lookup`` and
``GET /api/lookup``) and of the known-item step of a search.

    .venv/bin/python benchmarks/lookup_scale.py [--documents 100000] [--queries 500] [--fresh]

The store is built directly (``indexer.store.ChunkStore``), one passage per
document with a tiny placeholder vector: the look-up reads the documents' numbers
and header words, never the passages' vectors, and embedding 100,000 passages
would take hours on two cores. Documents: the 4,036 Official Gazette records of
``../shared/corpus/congbao`` repeated with other sequence numbers and years
("45/2011/TT-BCT" -> "1283/2019/TT-BCT"), so numbers repeat only where the
metadata does. Queries: a document's number as printed, lower-cased, spoken with
its year ("thông tư 1283 năm 2019"), type and number ("TT 1283/2019"), and its
subject without diacritics. One thread, warm (each query form run once before
timing). Quality is measured on real rendered documents by ``known_items.py``.

Prints the figures and writes benchmarks/results/lookup_scale.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.doctypes import TYPE_CODES  # noqa: E402
from corpus.models import Chunk, DocumentMetadata, ParsedDocument, RawDocument  # noqa: E402
from corpus.numbers import parse_number  # noqa: E402
from corpus.vietnamese import fold  # noqa: E402
from indexer.store import ChunkStore  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.lookup import lookup_documents  # noqa: E402
from search_api.params import limits_of  # noqa: E402
from search_api.settings import Settings  # noqa: E402

METADATA = REPO.parent / "shared" / "corpus" / "congbao" / "congbao_metadata.jsonl"
SEED = 17


def _iso(ddmmyyyy: str) -> str | None:
    parts = ddmmyyyy.split("/")
    return f"{parts[2]}-{parts[1]}-{parts[0]}" if len(parts) == 3 else None


def variants(records: list[dict], n: int, rng: random.Random):
    """``n`` documents: the records, then copies with another sequence number and year."""
    for i in range(n):
        rec = records[i % len(records)]
        number = parse_number(rec["so_ky_hieu"])
        issued = _iso(rec.get("ngay_ban_hanh") or "")
        if i >= len(records) and number is not None:
            year = str(rng.randint(2005, 2025))
            seq = str(rng.randint(1, 9999))
            parts = [seq, *([year] if number.year else []), number.symbol]
            text = f"{seq}-{number.symbol}" if number.party else "/".join(parts)
            issued = f"{year}{issued[4:]}" if issued else None
        else:
            text = rec["so_ky_hieu"]
        yield f"doc-{i:06d}", rec, text, issued


def build(path: Path, n: int) -> None:
    records = [json.loads(line) for line in METADATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(SEED)
    store = ChunkStore(path)
    vector = np.zeros((1, 8), dtype=np.float32)
    t0 = time.perf_counter()
    for i, (doc_id, rec, number, issued) in enumerate(variants(records, n, rng)):
        subject = rec.get("trich_yeu") or ""
        text = f"{rec.get('co_quan_ban_hanh', '')}\nSố: {number}\n{rec.get('loai_van_ban', '').upper()}\n{subject}\n"
        raw = RawDocument(doc_id=doc_id, source=f"/bench/{doc_id}.txt", format="txt", text=text)
        meta = DocumentMetadata(number=number, doc_type=rec.get("loai_van_ban"), issuer=rec.get("co_quan_ban_hanh"),
                                issued_date=issued, subject=subject, signer_name=rec.get("nguoi_ky"))
        chunk = Chunk(doc_id, 0, [], text, (0, len(text)), None, None, 20, f"h{i}")
        store.add_document(ParsedDocument(raw, meta, [], (0, len(text))), [chunk], [f"e{i}"], vector, raw.source)
        if i % 5000 == 4999:
            store.commit()
    store.commit()
    store.close()
    print(f"built {n} documents in {time.perf_counter() - t0:.1f} s", flush=True)


def queries(store: ChunkStore, count: int) -> dict[str, list[tuple[str, str]]]:
    """(query, doc_id it names) per form, for ``count`` documents drawn at random."""
    rng = random.Random(SEED)
    total = store.counts()["documents"]
    picks = [f"doc-{rng.randrange(total):06d}" for _ in range(count)]
    meta = store.document_summaries(picks)
    names = {code: name for name, code in TYPE_CODES.items() if code}
    forms: dict[str, list[tuple[str, str]]] = {"printed": [], "lower": [], "spoken": [], "type_number": [], "title": []}
    for doc_id in picks:
        m = meta[doc_id]
        number = parse_number(m["number"] or "")
        if number is not None:
            forms["printed"].append((number.text, doc_id))
            forms["lower"].append((number.text.lower(), doc_id))
            year = number.year or (m["issued_date"] or "")[:4]
            if number.type_code and year and not number.party:
                forms["spoken"].append((f"{names[number.type_code].lower()} {number.seq} năm {year}", doc_id))
                forms["type_number"].append((f"{number.type_code} {number.seq}/{year}", doc_id))
        if m["subject"]:
            forms["title"].append((fold(m["subject"]).lower(), doc_id))
    return forms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--data-dir", type=Path, default=bench_dir(Settings.from_env(), "lookup-scale"))
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lookup_scale.json")
    args = ap.parse_args()
    path = args.data_dir / f"store-{args.documents}.sqlite"
    if args.fresh and path.exists():
        path.unlink()
    if not path.exists():
        args.data_dir.mkdir(parents=True, exist_ok=True)
        build(path, args.documents)
    store = ChunkStore(path, readonly=True)
    limits = limits_of(Settings())
    out: dict = {"documents": store.counts()["documents"], "queries_per_form": args.queries, "forms": {}}
    for form, items in queries(store, args.queries).items():
        for q, _ in items[:20]:  # warm
            lookup_documents(store, q, limits)
        times, hits = [], 0
        for q, want in items:
            t = time.perf_counter()
            found = lookup_documents(store, q, limits)
            times.append((time.perf_counter() - t) * 1000)
            # a subject is shared by every copy of its record: any of them answers a title query
            hits += any(d.doc_id == want or (form == "title" and fold(d.metadata["subject"] or "").lower() == q)
                        for d in found[:10])
        out["forms"][form] = {"queries": len(items), "found_in_10": round(hits / max(len(items), 1), 3),
                              "latency_ms": percentiles(times)}
        lat = out["forms"][form]["latency_ms"]
        print(f"{form:12} n={len(items):4} found@10={out['forms'][form]['found_in_10']:.3f} "
              f"p50={lat['p50']} ms p95={lat['p95']} ms", flush=True)
    out["store_mib"] = round(path.stat().st_size / 2**20, 1)
    store.close()
    write_results(args.out, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
