"""The parser on the bundled sample corpus (txt, md, PDF, DOCX) against
tests/fixtures/samples-gold.json, written by hand for these documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SAMPLES
from corpus.chunker import approx_tokens, chunk_document
from corpus.parser import parse_document
from corpus.readers import read_file

GOLD = json.loads((Path(__file__).parent / "fixtures" / "samples-gold.json").read_text(encoding="utf-8"))
NAMES = sorted(k for k in GOLD if not k.startswith("_"))
FIELDS = ["number", "doc_type", "type_code", "issuer", "place", "issued_date", "signer_name", "signer_title", "event_date"]


@pytest.fixture(scope="module")
def parsed():
    out = {}
    for name in NAMES:
        [raw] = list(read_file(SAMPLES / name, SAMPLES))
        out[name] = parse_document(raw)
    return out


def test_every_sample_has_gold_and_a_fiction_note():
    on_disk = sorted(p.name for p in SAMPLES.iterdir() if p.is_file())
    assert on_disk == NAMES
    for name in on_disk:
        [raw] = list(read_file(SAMPLES / name, SAMPLES))
        assert "hư cấu" in raw.text[:400], name


@pytest.mark.parametrize("name", NAMES)
def test_sample_metadata(parsed, name):
    meta = parsed[name].metadata
    gold = GOLD[name]
    for field in FIELDS:
        assert getattr(meta, field) == gold[field], f"{name}: {field}"
    assert meta.subject.startswith(gold["subject_startswith"])
    assert len(meta.recipients or []) == gold["recipients_count"]


def _heading_line(doc, sec) -> str:
    text = doc.raw.text[sec.heading_span[0]:sec.heading_span[1]].split("\n")[0]
    return text.strip()[:80].rstrip(": ")


@pytest.mark.parametrize("name", NAMES)
def test_sample_top_level_headings(parsed, name):
    doc = parsed[name]
    top = [_heading_line(doc, s) for s in doc.sections if s.parent is None and s.kind != "footnote"]
    assert top == [h.rstrip(": ") for h in GOLD[name]["top_headings"]]


def test_pdf_sections_and_chunks_know_their_pages(parsed):
    doc = parsed["2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf"]
    assert len(doc.raw.pages) >= 3
    pages = [s.pages for s in doc.sections if s.parent is None]
    assert pages[0][0] == 1 and pages[-1][1] >= 3
    assert [p[0] for p in pages] == sorted(p[0] for p in pages)
    chunks = chunk_document(doc, approx_tokens)
    assert {c.pages[0] for c in chunks} >= {1, 2, 3}
    for c in chunks:
        # The page span of a passage covers the pages its characters come from.
        first, last = c.pages
        mid = (c.char_span[0] + c.char_span[1]) // 2
        assert first <= doc.raw.pages_for(mid, mid + 1)[0] <= last


def test_docx_units_under_numbered_sections(parsed):
    doc = parsed["2024-10-tb-236-ket-luan-phien-hop-thang-9.docx"]
    units = [s for s in doc.sections if s.kind == "unit"]
    headings = {s.heading for s in units}
    assert {"Phòng Nông nghiệp và PTNT", "Phòng Kinh tế và Hạ tầng", "UBND các xã, thị trấn"} <= headings
    parent = doc.sections[next(s for s in units if s.heading == "Phòng Nông nghiệp và PTNT").parent]
    assert parent.heading.startswith("1. Về khắc phục hậu quả bão số 3")
    chunks = chunk_document(doc, approx_tokens)
    path = next(c.heading_path for c in chunks if c.section_id is not None and "Phòng Kinh tế và Hạ tầng" in c.heading_path)
    assert path[0].startswith("II. NHIỆM VỤ TRỌNG TÂM")


def test_decision_with_attached_regulation(parsed):
    doc = parsed["2024-01-qd-156-quy-che-cong-thong-tin-dien-tu.md"]
    assert doc.closing_span is not None
    closing = doc.raw.text[doc.closing_span[0]:doc.closing_span[1]]
    assert "Nơi nhận" in closing and "Vi Thị Hồng Nhung" in closing
    chunks = chunk_document(doc, approx_tokens)
    assert not any("Nơi nhận" in c.text for c in chunks)
    # The regulation's articles are sections too, under its chapters.
    dieu13 = next(s for s in doc.sections if s.label == "Điều 13")
    assert doc.sections[dieu13.parent].kind == "chapter"
