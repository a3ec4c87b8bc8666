"""Relations in the index: resolved by number when read (and later, when the cited
document arrives), never to a wrong document; the status they give; the filter
that leaves out replaced documents; the CLI and the API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corpus.chunker import approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer
from indexer.snapshot import SnapshotDir
from indexer.store import Filters
from search_api.api import IndexService, create_app
from search_api.cli import main
from search_api.retrieval import Searcher
from search_api.settings import Settings

HEAD = "UBND HUYỆN SÔNG MÂY\n\nSố: {number}\n\nSông Mây, ngày {date}\n\n{type_line}\n{subject}\n\n{body}\n"


def _doc(folder: Path, name: str, number: str, date: str, subject: str, body: str, type_line: str = "QUYẾT ĐỊNH") -> None:
    text = HEAD.format(number=number, date=date, type_line=type_line, subject=subject, body=body)
    (folder / name).write_text("(Văn bản hư cấu, huyện Sông Mây không có thật.)\n" + text, encoding="utf-8")


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _doc(folder, "qd-10-2023.txt", "10/QĐ-UBND", "5 tháng 1 năm 2023", "Ban hành Quy chế tiếp công dân",
         "Ban hành kèm theo Quyết định này Quy chế tiếp công dân của UBND huyện Sông Mây.")
    _doc(folder, "qd-20-2024.txt", "20/QĐ-UBND", "8 tháng 3 năm 2024", "Ban hành Quy chế tiếp công dân (thay thế)",
         "Quyết định này thay thế Quyết định số 10/QĐ-UBND ngày 05/01/2023 của UBND huyện về Quy chế tiếp công dân.")
    _doc(folder, "qd-30-2024.txt", "30/QĐ-UBND", "2 tháng 5 năm 2024", "Sửa đổi Quy chế tiếp công dân",
         "Sửa đổi, bổ sung Điều 3 của Quyết định số 20/QĐ-UBND ngày 08/03/2024 của UBND huyện. "
         "Thực hiện Kế hoạch số 99/KH-UBND ngày 01/02/2024 của UBND huyện.")
    # a reference whose date no bearer has: the number matches, the document does not
    _doc(folder, "cv-40-2024.txt", "40/UBND-VP", "6 tháng 6 năm 2024", "", "Căn cứ Quyết định số 10/QĐ-UBND ngày 09/09/2022 "
         "của UBND huyện, Văn phòng đề nghị các phòng rà soát.", type_line="V/v rà soát quy chế")
    return folder


def _index(folder: Path, data: Path) -> Searcher:
    Indexer(data, HashEncoder(), approx_tokens).run([folder])
    return Searcher(SnapshotDir(data).require_current(), HashEncoder())


def test_links_resolve_by_number_and_date_never_to_a_wrong_document(tmp_path, archive):
    from search_api.relations import document_relations

    s = _index(archive, tmp_path / "data")
    rel = document_relations(s.store, "qd-20-2024.txt")
    assert [(x["number"], x["relation"], x["target"]) for x in rel["outgoing"]] == [("10/QĐ-UBND", "replaces", "qd-10-2023.txt")]
    assert [(x["source"], x["relation"]) for x in rel["incoming"]] == [("qd-30-2024.txt", "amends")]
    assert [st["status"] for st in rel["status"]] == ["amended_by"]
    old = document_relations(s.store, "qd-10-2023.txt")
    assert [(st["status"], st["doc_id"], st["number"]) for st in old["status"]] == [("replaced_by", "qd-20-2024.txt", "20/QĐ-UBND")]
    # 10/QĐ-UBND of 9/9/2022 is not the one indexed (5/1/2023): unresolved, not linked
    cv = document_relations(s.store, "cv-40-2024.txt")["outgoing"]
    assert [(x["number"], x["target"]) for x in cv] == [("10/QĐ-UBND", None)]
    assert "cv-40-2024.txt" not in [x["source"] for x in old["incoming"]]
    # a cited document not in the index stays unresolved ...
    kh = [x for x in document_relations(s.store, "qd-30-2024.txt")["outgoing"] if x["number"] == "99/KH-UBND"]
    assert kh and kh[0]["target"] is None and kh[0]["relation"] == "implements"
    s.close()
    # ... and is linked as soon as it arrives
    _doc(archive, "kh-99-2024.txt", "99/KH-UBND", "1 tháng 2 năm 2024", "Kế hoạch tiếp công dân năm 2024",
         "Kế hoạch tổ chức tiếp công dân.", type_line="KẾ HOẠCH")
    s = _index(archive, tmp_path / "data")
    kh = [x for x in document_relations(s.store, "qd-30-2024.txt")["outgoing"] if x["number"] == "99/KH-UBND"]
    assert kh[0]["target"] == "kh-99-2024.txt"
    s.close()


def test_status_in_results_the_current_filter_and_citing_hits(tmp_path, archive):
    s = _index(archive, tmp_path / "data")
    hits = s.search("quy chế tiếp công dân", k=20, mode="lexical").results
    by_doc = {r.doc_id: r for r in hits}
    assert by_doc["qd-10-2023.txt"].status[0]["status"] == "replaced_by"
    assert by_doc["qd-20-2024.txt"].status[0] == {"status": "amended_by", "doc_id": "qd-30-2024.txt",
                                                  "number": "30/QĐ-UBND", "issued_date": "2024-05-02"}
    current = s.search("quy chế tiếp công dân", k=20, mode="lexical", filters=Filters(status="current")).results
    assert "qd-10-2023.txt" not in {r.doc_id for r in current} and "qd-20-2024.txt" in {r.doc_id for r in current}
    # a number query: the document, then what cites it, each saying how
    top = s.search("10/QĐ-UBND", k=5).results
    assert (top[0].doc_id, top[0].match) == ("qd-10-2023.txt", "number")
    assert (top[1].doc_id, top[1].match) == ("qd-20-2024.txt", "cites:replaces")
    assert "cv-40-2024.txt" not in [r.doc_id for r in top if r.match]
    s.close()


def test_relations_command_and_endpoint(tmp_path, archive):
    data = tmp_path / "data"
    _index(archive, data).close()
    out, err = io.StringIO(), io.StringIO()
    assert main(["--home", str(tmp_path / "home"), "relations", "--json", "--data-dir", str(data)], out, err) == 0, err.getvalue()
    links = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {"source": "qd-20-2024.txt", "target": "qd-10-2023.txt", "number": "10/QĐ-UBND", "relation": "replaces"}.items() \
        <= next(x for x in links if x["source"] == "qd-20-2024.txt").items()
    assert all(set(x) >= {"source", "target", "number", "relation", "text", "char_span"} for x in links)
    out = io.StringIO()
    assert main(["--home", str(tmp_path / "home"), "relations", "qd-10-2023.txt", "--data-dir", str(data)], out, err) == 0
    assert "bị thay thế bởi 20/QĐ-UBND ngày 8/3/2024" in out.getvalue()
    assert main(["--home", str(tmp_path / "home"), "relations", "nope.txt", "--data-dir", str(data)], out, err) == 2
    settings = Settings(home=tmp_path / "home", data_dir=data)
    with TestClient(create_app(settings, IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens))) as c:
        body = c.get("/api/documents/qd-10-2023.txt/relations").json()
        assert body["status"][0]["status"] == "replaced_by" and body["incoming"][0]["source"] == "qd-20-2024.txt"
        r = c.get("/api/search", params={"q": "quy chế tiếp công dân", "status": "current", "mode": "lexical"}).json()
        assert "qd-10-2023.txt" not in {x["doc_id"] for x in r["results"]}
        assert c.get("/api/search", params={"q": "x", "status": "old"}).status_code == 422
