"""Documents found by their number: in every form people type it, ahead of the
passages that merely mention it; ordinary search when no document bears it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SAMPLES, shared_path
from corpus.chunker import approx_tokens
from corpus.vietnamese import fold
from fakes import HashEncoder
from indexer.build import Indexer
from indexer.snapshot import SnapshotDir
from indexer.store import Filters
from search_api.retrieval import Searcher


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    data = tmp_path_factory.mktemp("known") / "data"
    Indexer(data, HashEncoder(), approx_tokens).run([SAMPLES, shared_path("corpus", "seeds")])
    s = Searcher(SnapshotDir(data).require_current(), HashEncoder())
    yield s
    s.close()


def _forms(number: str, doc_type: str) -> list[str]:
    seq = number.split("/")[0].split("-")[0]
    return [number, number.lower(), number.replace("/", " / ", 1), f"{doc_type} số {number}", f"{doc_type} {seq}",
            fold(f"{doc_type} {seq}").lower()]


def test_each_seed_is_found_first_by_its_number(searcher):
    gold = json.loads(shared_path("eval", "seed-metadata.json").read_text(encoding="utf-8"))
    seeds = {doc: meta for doc, meta in gold.items() if not doc.startswith("_") and meta.get("number")}
    assert len(seeds) >= 2  # the others are drafts with the number left blank, or state none
    for doc_id, meta in seeds.items():
        for query in _forms(meta["number"], meta["doc_type"]):
            top = searcher.search(query, k=5).results[0]
            assert (top.doc_id, top.match) == (doc_id, "number"), query


@pytest.mark.parametrize("query, doc_id", [
    ("218-TB/HU", "2023-09-tb-218-hu-ket-luan-gpmb-du-an-trong-diem.md"),
    ("thong bao 218", "2023-09-tb-218-hu-ket-luan-gpmb-du-an-trong-diem.md"),
    ("công văn 812", "2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"),
    ("812 UBND-NN", "2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"),
    ("QĐ 156", "2024-01-qd-156-quy-che-cong-thong-tin-dien-tu.md"),
    ("quyết định số 156 năm 2024", "2024-01-qd-156-quy-che-cong-thong-tin-dien-tu.md"),
])
def test_sample_numbers_in_other_forms(searcher, query, doc_id):
    top = searcher.search(query, k=5).results[0]
    assert (top.doc_id, top.match) == (doc_id, "number")


def test_a_number_nobody_bears_is_an_ordinary_search(searcher):
    for query in ("999/TB-UBND", "thông báo 999", "quyết định 156 năm 2019"):
        response = searcher.search(query, k=5)
        assert all(r.match is None for r in response.results)
    # a query that only looks like a number is searched as words
    response = searcher.search("bão số 3", k=5)
    assert response.results and all(r.match is None for r in response.results)


def test_filters_apply_to_documents_found_by_number(searcher):
    top = searcher.search("163/TB-UBND", k=5, filters=Filters(doc_type="Báo cáo")).results
    assert all(r.citation.doc_type == "Báo cáo" and r.match is None for r in top)
    assert searcher.search("163/TB-UBND", k=5, mode="dense").results[0].match is None  # meaning only


def test_documents_sharing_a_number_come_newest_first(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    header = "UBND HUYỆN SÔNG MÂY\n\nSố: 77/TB-UBND\n\nSông Mây, ngày {d} tháng {m} năm 2024\n\nTHÔNG BÁO\n{title}\n\n{body}\n"
    (folder / "du-thao.txt").write_text(header.format(d=2, m=3, title="Dự thảo kết luận về nuôi ong",
                                                      body="Bản dự thảo nêu các nhiệm vụ nuôi ong."), encoding="utf-8")
    (folder / "ban-chinh.txt").write_text(header.format(d=20, m=3, title="Kết luận về nuôi ong",
                                                        body="Bản chính thức giao nhiệm vụ nuôi ong."), encoding="utf-8")
    (folder / "nhac-den.txt").write_text(
        "UBND HUYỆN SÔNG MÂY\n\nSố: 80/UBND-NN\n\nSông Mây, ngày 1 tháng 4 năm 2024\n\nV/v thực hiện Thông báo số 77/TB-UBND\n\n"
        "Thực hiện Thông báo số 77/TB-UBND, UBND huyện yêu cầu các xã báo cáo.\n", encoding="utf-8")
    data = tmp_path / "data"
    Indexer(data, HashEncoder(), approx_tokens).run([folder])
    s = Searcher(SnapshotDir(data).require_current(), HashEncoder())
    results = s.search("77/TB-UBND", k=5).results
    assert [(r.doc_id, r.match) for r in results[:2]] == [("ban-chinh.txt", "number"), ("du-thao.txt", "number")]
    assert "nhac-den.txt" in [r.doc_id for r in results[2:]]
    s.close()


def test_an_index_from_before_numbers_is_migrated(tmp_path):
    """An index written before document numbers were kept: the writer fills them in."""
    import sqlite3

    from indexer.store import ChunkStore

    data = tmp_path / "data"
    Indexer(data, HashEncoder(), approx_tokens).run([SAMPLES])
    store_path = SnapshotDir(data).require_current().store
    db = sqlite3.connect(store_path)
    db.execute("DROP TABLE doc_numbers")
    db.execute("DELETE FROM meta WHERE key = 'doc_numbers'")
    db.commit()
    db.close()
    old = ChunkStore(Path(store_path), readonly=True)
    from corpus.numbers import parse_number_query

    assert old.documents_by_number(parse_number_query("812/UBND-NN")) == []  # answers, finds nothing
    old.close()
    ChunkStore(Path(store_path)).close()  # a writer opens it: migrated
    new = ChunkStore(Path(store_path), readonly=True)
    assert [d for _, d in new.documents_by_number(parse_number_query("812/UBND-NN"))] == \
        ["2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"]
    new.close()


def test_results_by_document(searcher):
    from search_api.grouping import search_documents

    found = search_documents(searcher, "giải phóng mặt bằng chậm", k=5)
    ids = [d.doc_id for d in found.documents]
    assert len(ids) == len(set(ids)) == 5 and found.total >= 5
    flat = searcher.search("giải phóng mặt bằng chậm", k=200, highlights=False).results
    order = list(dict.fromkeys(r.doc_id for r in flat))
    assert ids == order[:5]  # documents in the order of their best passage
    for d in found.documents:
        mine = [r.chunk_id for r in flat if r.doc_id == d.doc_id]
        assert [p.chunk_id for p in d.passages] == mine[:3] and d.more == len(mine) - len(d.passages)
        assert all(p.highlights for p in d.passages[:1])
    page2 = search_documents(searcher, "giải phóng mặt bằng chậm", k=5, offset=5)
    assert not set(ids) & {d.doc_id for d in page2.documents}
    top = search_documents(searcher, "163/TB-UBND", k=3).documents[0]
    assert (top.doc_id, top.match) == ("000_032d8215efb2c131.txt", "number")
    # The shallow JSON of a document and of a passage holds what a deep copy would.
    from dataclasses import asdict

    assert [d.to_json() for d in found.documents] == [asdict(d) for d in found.documents]
    assert [r.to_json() for r in flat[:20]] == [asdict(r) for r in flat[:20]]


def test_lookup_by_number_or_title_words(searcher):
    from search_api.lookup import lookup_documents
    from search_api.params import Limits

    limits = Limits(max_query_chars=1000, max_results=200, max_page_size=50)
    store = searcher.store
    found = lookup_documents(store, "công văn 812", limits)
    assert [(d.doc_id, d.match) for d in found] == [("2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md", "number")]
    assert found[0].metadata["number"] == "812/UBND-NN"
    # the title typed without diacritics, or the signer's name
    top = lookup_documents(store, "quy che quan ly van hanh cong thong tin dien tu", limits)[0]
    assert (top.doc_id, top.match) == ("2024-01-qd-156-quy-che-cong-thong-tin-dien-tu.md", "words")
    assert lookup_documents(store, "loi quang vu", limits)[0].doc_id == "000_032d8215efb2c131.txt"
    # a number nobody bears falls back to the words; words nobody wrote find nothing
    assert all(d.match == "words" for d in lookup_documents(store, "999/TB-UBND", limits))
    assert lookup_documents(store, "zzzz qqqq", limits) == []
    for hostile in ('"', "AND OR NOT", "title:x (", "*", "💥"):
        lookup_documents(store, hostile, limits)  # FTS syntax never reaches SQLite
