"""The parser on the five real seed documents, against ../shared/eval/seed-metadata.json."""

from __future__ import annotations

import json
import re

import pytest

from conftest import shared_path
from corpus.chunker import approx_tokens, chunk_document
from corpus.parser import parse_document
from corpus.readers import read_file

GOLD = json.loads(shared_path("eval", "seed-metadata.json").read_text(encoding="utf-8"))
SEEDS = sorted(k for k in GOLD if not k.startswith("_"))
FIELDS = ["number", "doc_type", "type_code", "place", "issued_date", "signer_name", "signer_title"]


def _expand(issuer: str | None) -> str | None:
    return None if issuer is None else re.sub(r"\bUBND\b", "Ủy ban nhân dân", issuer)


def _parse(name: str):
    path = shared_path("corpus", "seeds", name)
    [raw] = list(read_file(path, path.parent))
    return parse_document(raw)


@pytest.fixture(scope="module")
def parsed():
    return {name: _parse(name) for name in SEEDS}


@pytest.mark.parametrize("name", SEEDS)
def test_seed_metadata_matches_gold(parsed, name):
    meta = parsed[name].metadata
    gold = GOLD[name]
    for field in FIELDS:
        assert getattr(meta, field) == gold[field], f"{name}: {field}"
    assert _expand(meta.issuer) == _expand(gold["issuer"])
    assert meta.subject is not None and meta.subject.startswith(gold["subject_startswith"])


# The documents' own numbering, read off the text by hand.
EXPECTED_TOP = {
    "000_032d8215efb2c131.txt": ["1", "2", "3", "4"],
    "001_c2a1555fca01a86f.txt": ["1", "2", "3", "4", "5"],
    "002_30f601d2edcf8a83.txt": ["I", "II", "III", "IV"],
    "003_dced245384db6003.txt": ["1", "2", "3"],
    "004_263f8eeb0ccf2f9c.txt": ["1", "2", "3"],
}


@pytest.mark.parametrize("name", SEEDS)
def test_seed_top_level_sections_follow_document_numbering(parsed, name):
    top = [s for s in parsed[name].sections if s.parent is None and s.kind != "footnote"]
    assert [s.label for s in top] == EXPECTED_TOP[name]


def test_nested_numbering_and_letters(parsed):
    doc = parsed["001_c2a1555fca01a86f.txt"]
    by_label = {s.label: s for s in doc.sections if s.label}
    assert by_label["1.1"].parent == by_label["1"].id
    assert by_label["1.2"].parent == by_label["1"].id
    letters = [s for s in doc.sections if s.kind == "letter"]
    assert [s.label for s in letters] == ["a", "b", "c", "d"]
    assert all(doc.sections[s.parent].label == "1.2" for s in letters)
    assert letters[0].heading == "a) Lĩnh vực kinh tế"


def test_bold_unit_headings_nest_under_their_field(parsed):
    doc = parsed["001_c2a1555fca01a86f.txt"]
    units = {s.heading: s for s in doc.sections if s.kind == "unit"}
    assert "Phòng Tài chính - Kế hoạch" in units
    assert "Công an huyện" in units  # a bold lead-in: "**Công an huyện:** Tiếp tục …"
    parent = doc.sections[units["Phòng Tài chính - Kế hoạch"].parent]
    assert parent.heading == "a) Lĩnh vực kinh tế"


def test_roman_parts_contain_numbered_items(parsed):
    doc = parsed["002_30f601d2edcf8a83.txt"]
    part3 = next(s for s in doc.sections if s.label == "III")
    children = [doc.sections[c] for c in part3.children]
    assert [c.label for c in children] == ["1", "2"]
    sub = [doc.sections[c].label for c in children[1].children]
    assert sub == ["2.1", "2.2"]


def test_footnotes_are_leaves_and_do_not_swallow_text(parsed):
    doc = parsed["002_30f601d2edcf8a83.txt"]
    notes = [s for s in doc.sections if s.kind == "footnote"]
    assert len(notes) == 3
    text = doc.raw.text
    for note in notes:
        assert text[note.span[0]:note.span[1]].startswith("¹")
        assert not note.children
    # The paragraph after the first footnote still belongs to section I.1.
    first = notes[0]
    assert doc.sections[first.parent].label == "1"


def test_lead_in_bullets_become_items(parsed):
    doc = parsed["000_032d8215efb2c131.txt"]
    items = [s.heading for s in doc.sections if s.kind == "item"]
    assert "Về lĩnh vực y tế" in items
    assert "Về khách quan" in items
    health = next(s for s in doc.sections if s.heading == "Về lĩnh vực y tế")
    assert doc.sections[health.parent].label == "4.2"


def test_recipients_and_event_dates(parsed):
    meta = parsed["000_032d8215efb2c131.txt"].metadata
    assert meta.recipients == [
        "Chủ tịch, Các PCT UBND huyện",
        "Các phòng, ban, ngành, đơn vị cấp huyện",
        "UBND các xã thị trấn",
        "Lưu: VT, VP",
    ]
    assert meta.event_date == "2024-07-17"
    # A continuation line of a recipient is joined to it, not lost.
    rec4 = parsed["004_263f8eeb0ccf2f9c.txt"].metadata.recipients
    assert "C, PVP UBND tỉnh, các Phòng CM, Trung tâm Thông tin" in rec4
    # Undated notices still know when their meeting took place.
    assert parsed["001_c2a1555fca01a86f.txt"].metadata.event_date == "2024-09-24"
    assert parsed["003_dced245384db6003.txt"].metadata.event_date == "2023-09-12"
    assert parsed["004_263f8eeb0ccf2f9c.txt"].metadata.event_date == "2024-04-23"
    # A report citing "Nghị quyết số 01/NQ-CP ngày 06/01/2023" has no event date.
    assert parsed["002_30f601d2edcf8a83.txt"].metadata.event_date is None


@pytest.mark.parametrize("name", SEEDS)
def test_body_excludes_header_and_signature(parsed, name):
    doc = parsed[name]
    start, end = doc.body_span
    body = doc.raw.text[start:end]
    assert "Nơi nhận" not in body
    assert doc.metadata.signer_name not in body
    assert not body.lstrip().startswith(("THÔNG BÁO", "BÁO CÁO", "Số"))


@pytest.mark.parametrize("name", SEEDS)
def test_seed_chunks_cover_body_within_budget(parsed, name):
    doc = parsed[name]
    chunks = chunk_document(doc, approx_tokens)
    assert chunks
    text = doc.raw.text
    for c in chunks:
        assert text[c.char_span[0]:c.char_span[1]] == c.text
        assert c.n_tokens <= 400
        # Never cut inside a word.
        s, e = c.char_span
        assert s == 0 or not (text[s - 1].isalnum() and text[s].isalnum())
        assert e == len(text) or not (text[e - 1].isalnum() and text[e].isalnum())
    # Passages follow each other without gaps or overlaps over the body's words.
    covered = " ".join(c.text for c in chunks)
    body_words = text[doc.body_span[0]:doc.body_span[1]].split()
    assert covered.split() == body_words
