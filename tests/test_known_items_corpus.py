"""The known-item benchmark's corpus, queries and relation gold (benchmarks/known_items_corpus.py)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import pytest

from benchmarks.known_items_corpus import (
    FORMS,
    cited_numbers,
    doc_id,
    load_records,
    make_queries,
    number_key,
    render,
    select_records,
    worded_date,
    write_corpus,
)
from conftest import REPO, shared_path

GOLD = REPO / "benchmarks" / "data" / "known-items-relations-gold.jsonl"
RELATIONS = {"amends", "replaces", "repeals", "guides", "corrects", "consolidates", "implements", "basis", "cites"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_records(shared_path("corpus", "congbao", "congbao_metadata.jsonl"))


@pytest.fixture(scope="module")
def chosen(records) -> list[dict]:
    return select_records(records)


def test_selection_is_deterministic_and_keeps_every_cross_reference(records, chosen):
    assert len(chosen) >= 1500
    assert [r["file"] for r in select_records(records)] == [r["file"] for r in chosen]
    keys = Counter(number_key(r["so_ky_hieu"]) for r in records)
    chosen_files = {r["file"] for r in chosen}
    for r in records:
        if any(number_key(n) in keys for n in cited_numbers(r["title"], r["so_ky_hieu"])):
            assert r["file"] in chosen_files, r["so_ky_hieu"]
    # Two records bearing one number are both rendered, as two documents.
    chosen_keys = Counter(number_key(r["so_ky_hieu"]) for r in chosen)
    for key, n in chosen_keys.items():
        assert n == keys[key]
    assert any(n > 1 for n in chosen_keys.values())
    assert len({doc_id(r) for r in chosen}) == len(chosen)


def test_cited_numbers_skip_the_records_own_number_and_standards():
    title = "Thông tư số 36/2017/TT-BYT bãi bỏ Thông tư số 03/2017/ TT-BYT về Quy chuẩn QCVN 5-1:2017/BYT."
    assert cited_numbers(title, "36/2017/TT-BYT") == ["03/2017/TT-BYT"]
    joint = "Nghị quyết liên tịch số 72/2025/NQLT/UBTVQH15-CP-ĐCTUBTWMTTQVN quy định chi tiết việc tiếp xúc cử tri."
    assert cited_numbers(joint, "72/2025/NQLT/UBTVQH15-CP-ĐCTUBTWMTTQVN") == []


def test_worded_date_pads_as_decree_30_does():
    assert worded_date("05/01/2011") == "ngày 05 tháng 01 năm 2011"
    assert worded_date("19/04/2011") == "ngày 19 tháng 4 năm 2011"
    assert worded_date("20/12/2016") == "ngày 20 tháng 12 năm 2016"


def test_rendered_documents_are_laid_out_like_real_ones(chosen):
    by_type = {}
    for r in chosen:
        by_type.setdefault(r["loai_van_ban"], r)
    for doc_type, r in by_type.items():
        text = render(r)
        assert unicodedata.is_normalized("NFC", text)
        lines = text.splitlines()
        assert f"Số: {r['so_ky_hieu']}" in lines
        assert f"Hà Nội, {worded_date(r['ngay_ban_hanh'])}" in lines
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
        assert "Nơi nhận:" in lines
        first_signer = re.split(r"\s+-\s+", r["nguoi_ky"])[0].split()
        assert " ".join(w[:1].upper() + w[1:].lower() for w in first_signer) in lines
        if doc_type == "Công văn":
            assert any(line.startswith("V/v ") for line in lines)
            assert "CÔNG VĂN" not in lines
        else:
            assert doc_type.upper() in lines
    # Joint issuers whose own names hold a dash stay whole.
    joint = next(r for r in chosen if "LAO ĐỘNG - THƯƠNG BINH" in r["co_quan_ban_hanh"])
    assert "BỘ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI" in render(joint)


def test_basis_lines_name_the_documents_the_title_cites(chosen):
    r = next(r for r in chosen if r["so_ky_hieu"] == "60/2015/TT-BTC")
    text = render(r)
    assert "Căn cứ Thông tư số 152/2011/TT-BTC;" in text
    assert "Căn cứ Nghị định số 67/2011/NĐ-CP;" in text


def test_write_corpus_leaves_unchanged_files_alone(tmp_path, chosen):
    few = chosen[:5]
    paths = write_corpus(few, tmp_path)
    stale = tmp_path / "gone.txt"
    stale.write_text("x", encoding="utf-8")
    mtimes = {p: p.stat().st_mtime_ns for p in paths}
    again = write_corpus(few, tmp_path)
    assert again == paths
    assert {p: p.stat().st_mtime_ns for p in again} == mtimes
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(doc_id(r) for r in few)


def test_queries_per_form_with_every_document_they_name(chosen):
    queries = make_queries(chosen, n=300)
    assert queries == make_queries(chosen, n=300)
    assert Counter(q.form for q in queries) == {form: 300 for form in FORMS}
    by_id = {doc_id(r): r for r in chosen}
    for q in queries:
        assert q.doc_id in q.gold
        r = by_id[q.doc_id]
        if q.form == "printed":
            assert q.text == r["so_ky_hieu"]
            assert all(number_key(by_id[d]["so_ky_hieu"]) == number_key(q.text) for d in q.gold)
        elif q.form == "lower":
            assert q.text == r["so_ky_hieu"].lower()
        elif q.form == "spoken_year":
            assert re.fullmatch(rf"{re.escape(r['loai_van_ban'].lower())} \d+\S* năm (19|20)\d\d", q.text), q.text
        elif q.form == "type_number":
            assert re.fullmatch(r".+ \d+\S*/(19|20)\d\d", q.text), q.text
        else:
            assert q.text.isascii() or not any(c in q.text for c in "ăâđêôơưáàảãạ")
            assert q.text == q.text.lower()
    typed = [q.text for q in queries if q.form == "type_number"]
    assert any(t[0].isupper() for t in typed) and any(t[0].islower() for t in typed)
    assert any(q.ambiguous for q in queries if q.form == "printed")


def test_relation_gold_is_well_formed_and_resolves_against_the_rendered_corpus(chosen):
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    with_refs = [g for g in gold if g["references"]]
    assert len(with_refs) >= 100
    assert len(gold) - len(with_refs) >= 50
    rendered = {doc_id(r): r for r in chosen}
    for g in gold:
        assert g["doc_id"] in rendered
        assert rendered[g["doc_id"]]["so_ky_hieu"] == g["so_ky_hieu"]
        assert rendered[g["doc_id"]]["title"] == g["title"]
        squashed = re.sub(r"\s+", "", g["title"])
        for ref in g["references"]:
            assert ref["relation"] in RELATIONS
            assert re.sub(r"\s+", "", ref["number"]) in squashed, (g["so_ky_hieu"], ref["number"])
            assert ref["resolvable"] == bool(ref.get("targets"))
            for target in ref.get("targets", []):
                assert number_key(rendered[target]["so_ky_hieu"]) == number_key(ref["number"])
