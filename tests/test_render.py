"""The CLI's printers: the citation line as the page writes it."""

from __future__ import annotations

from search_api.render import citation_line, format_date, marked
from search_api.retrieval import Citation


def test_citation_line_from_a_dict_or_a_citation():
    fields = dict(number="236/TB-UBND", doc_type="Thông báo", issuer="UBND huyện Sông Mây", issued_date="2024-10-08",
                  subject=None, heading_path=["1. Về kinh tế", "a) Nông nghiệp"], pages=[3, 4], char_span=[0, 10])
    want = ("Thông báo số 236/TB-UBND ngày 8/10/2024 — UBND huyện Sông Mây — mục 1. Về kinh tế › a) Nông nghiệp"
            " — trang 3–4")
    assert citation_line(fields) == want
    assert citation_line(Citation(**fields)) == want
    undated = dict(fields, issued_date=None, event_date="2024-09-24", pages=None, heading_path=[])
    assert citation_line(undated) == "Thông báo số 236/TB-UBND (họp ngày 24/9/2024) — UBND huyện Sông Mây"
    assert citation_line(undated, with_date=False) == "Thông báo số 236/TB-UBND — UBND huyện Sông Mây"
    assert citation_line({"heading_path": []}, "ghi-chu.txt") == "ghi-chu.txt"


def test_dates_and_highlights():
    assert [format_date(d) for d in ("2024-07-19", "2024-07", "2024-Q3", None)] == ["19/7/2024", "7/2024", "2024-Q3", None]
    assert marked("bão số 3 gây thiệt hại", [[0, 8]]) == "«bão số 3» gây thiệt hại"
