"""The header parser on the numbers and types of 4,036 real Official Gazette documents.

Each record of ../shared/corpus/congbao/congbao_metadata.jsonl (metadata only, no
text) is rendered as a minimal header, with its type line and without it, and the
parser must read back its number, type and type code.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import shared_path
from corpus.models import RawDocument
from corpus.numbers import number_key
from corpus.parser import parse_document

# The codes that name a type when they open a number's symbol, written out here rather
# than read from corpus.doctypes, so that the test does not grade the table it tests.
CODES = {"NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB", "TTr", "HĐ",
         "CĐ", "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB", "NĐ", "TT", "TTLT", "PL", "VBHN", "L",
         "SL", "ĐC", "NQLT"}
CODES_UPPER = {c.upper(): c for c in CODES}


def _code(number: str) -> str | None:
    """ "18/2012/TTLT-BTC-BTTTT" -> "TTLT"; "207/2025/QH15", "812/UBND-NN" -> None."""
    parts = [p.strip() for p in number.split("/")]
    symbol = parts[2] if len(parts) > 2 and re.fullmatch(r"\d{4}", parts[1]) else parts[1]
    return CODES_UPPER.get(re.split(r"[-/\s]", symbol)[0].upper())


def _render(record: dict, type_line: bool) -> str:
    day, month, year = record["ngay_ban_hanh"].split("/")
    head = f"CƠ QUAN\n\nSố: {record['so_ky_hieu']}\n\nHà Nội, ngày {int(day)} tháng {int(month)} năm {year}\n\n"
    kind = f"{record['loai_van_ban'].upper()}\n" if type_line else ""
    return f"{head}{kind}{record['trich_yeu']}\n\nĐiều 1. Nội dung của văn bản.\n"


@pytest.fixture(scope="module")
def records():
    path = shared_path("corpus", "congbao", "congbao_metadata.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read(records, type_line: bool):
    for r in records:
        raw = RawDocument(doc_id=r["file"], source=r["file"], format="txt", text=_render(r, type_line))
        yield r, parse_document(raw).metadata


def test_with_type_line(records):
    wrong = [(r["so_ky_hieu"], r["loai_van_ban"], m.number, m.doc_type, m.type_code)
             for r, m in _read(records, True)
             if (m.number is None or number_key(m.number) != number_key(r["so_ky_hieu"])
                 or m.doc_type != r["loai_van_ban"] or m.type_code != _code(r["so_ky_hieu"]))]
    assert len(wrong) <= len(records) // 1000, wrong[:10]


def test_without_type_line(records):
    numbers = codes = 0
    guessed_wrong, null_with_code = [], []
    for r, m in _read(records, False):
        numbers += m.number is not None and number_key(m.number) == number_key(r["so_ky_hieu"])
        codes += m.type_code == _code(r["so_ky_hieu"])
        if m.doc_type is None and _code(r["so_ky_hieu"]):
            null_with_code.append(r["so_ky_hieu"])
        elif m.doc_type not in (None, r["loai_van_ban"]):
            guessed_wrong.append((r["so_ky_hieu"], r["loai_van_ban"], m.doc_type))
    assert numbers >= 0.999 * len(records) and codes >= 0.999 * len(records)
    # A type is told whenever the number carries a code; none is made up otherwise.
    assert null_with_code == []
    # The only disagreements are Gazette labels that contradict the number
    # ("Thông tư" for "10/2013/TTLT-BNNPTNT-BKHĐT", and for "1492/QĐ-BTC").
    assert all(_code(number) for number, _, _ in guessed_wrong), guessed_wrong
    assert len(guessed_wrong) <= len(records) // 500, guessed_wrong
