"""Header metadata for every common document type, with and without a type line.

The documents are in tests/fixtures/header-types/ (fictional), with the metadata
each must yield in expected.json. Two entries leave fields out on purpose: the
copied treaty's subject (its title "HIỆP ĐỊNH" is no type line the parser knows)
and the joint documents' signers and issuer casing (two signature blocks side by
side; the metadata holds one signer).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import numbers
from corpus.doctypes import TYPE_LINES, canonical_code, is_type_line, type_for_code
from corpus.header import parse_number
from corpus.models import RawDocument
from corpus.parser import parse_document

FIXTURES = Path(__file__).parent / "fixtures" / "header-types"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
NAMES = sorted(k for k in EXPECTED if not k.startswith("_"))


def _parse(text: str, name: str = "x.txt"):
    return parse_document(RawDocument(doc_id=name, source=name, format="txt", text=text))


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_every_fixture_has_expectations():
    assert sorted(p.name for p in FIXTURES.glob("*.txt")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_header_metadata(name):
    meta = _parse(_text(name), name).metadata
    for field, want in EXPECTED[name].items():
        assert getattr(meta, field) == want, f"{name}: {field}"


def _without_type_line(text: str) -> str:
    lines = text.split("\n")
    i = next(i for i, line in enumerate(lines[:15]) if is_type_line(line))
    return "\n".join(lines[:i] + lines[i + 1:])


# What each document is when its type line is gone: the code in its number says,
# or "Luật số:" / "Nghị quyết số:" on the number line.
WITHOUT_TYPE_LINE = {
    "bien-ban-03-bb-ubnd.txt": "Biên bản",
    "chuong-trinh-09-ctr-ubnd.txt": "Chương trình",
    "cong-dien-03-cd-ubnd.txt": "Công điện",
    "de-an-02-da-ubnd.txt": "Đề án",
    "dinh-chinh-15-dc-btc.txt": "Đính chính",
    "giay-moi-21-gm-ubnd.txt": "Giấy mời",
    "huong-dan-07-hd-ubnd.txt": "Hướng dẫn",
    "lenh-94-2025-l-ctn.txt": "Lệnh",
    "luat-45-2024-qh15.txt": "Luật",
    "nghi-dinh-15-2020-nd-cp.txt": "Nghị định",
    "nghi-quyet-207-2025-qh15.txt": "Nghị quyết",
    "nqlt-01-2024.txt": "Nghị quyết liên tịch",
    "quy-che-01-qc-ubnd.txt": "Quy chế",
    "quy-dinh-03-qyd-ubnd.txt": "Quy định",
    "sao-luc-quyet-dinh.txt": "Quyết định",
    "sao-y-thong-bao.txt": "Thông báo",
    "thong-tu-12-2016-tt-btc.txt": "Thông tư",
    "to-trinh-45-ttr-ubnd.txt": "Tờ trình",
    "ttlt-18-2012.txt": "Thông tư liên tịch",
    "vbhn-29-bxd.txt": "Văn bản hợp nhất",
}


@pytest.mark.parametrize("name", sorted(WITHOUT_TYPE_LINE))
def test_type_inferred_without_type_line(name):
    text = _without_type_line(_text(name))
    meta = _parse(text, name).metadata
    want = EXPECTED[name]
    assert meta.doc_type == WITHOUT_TYPE_LINE[name]
    for field in ("number", "type_code", "place", "issued_date"):
        assert getattr(meta, field) == want[field], f"{name}: {field}"
    if "issuer" in want:
        assert meta.issuer == want["issuer"]


def test_subject_written_out_under_the_number_without_type_line():
    text = _without_type_line(_text("to-trinh-45-ttr-ubnd.txt"))
    doc = _parse(text)
    assert doc.metadata.subject == "Về việc đề nghị phê duyệt dự toán ngân sách huyện năm 2025"
    assert doc.raw.text[doc.body_span[0]:].startswith("Kính gửi: Hội đồng nhân dân huyện Sông Mây.")


HEAD = "ỦY BAN NHÂN DÂN\nHUYỆN SÔNG MÂY\n\nSố: {number}\n\nSông Mây, ngày 3 tháng 5 năm 2024\n\n"


@pytest.mark.parametrize("number, subject, code", [
    ("207/2025/QH15", "Về Chương trình giám sát năm 2026", None),  # a law or a resolution
    ("01/2018/UBTVQH14", "Sửa đổi một số điều của pháp lệnh", None),  # a Pháp lệnh or a resolution
    ("12/XYZ-UBND", "Tổ chức ngày hội văn hóa các dân tộc", None),  # an unknown code
    ("82/2014/QH13", "V/v thi hành Luật tổ chức Viện kiểm sát", None),  # no Công văn has a year
])
def test_type_not_told_is_null(number, subject, code):
    meta = _parse(HEAD.format(number=number) + f"{subject}\n\nNội dung văn bản.\n").metadata
    assert (meta.doc_type, meta.type_code) == (None, code)
    assert meta.number == number


def test_letter_with_an_unknown_first_code_is_a_cong_van():
    # Without a type line, a "V/v" subject under a number with no year makes it a Công văn,
    # whatever the number's first part is (the issuing body's code, "UBND" in "812/UBND-NN").
    meta = _parse(HEAD.format(number="45/VP-TH") + "V/v lịch trực Tết Giáp Thìn\n\nNội dung.\n").metadata
    assert (meta.doc_type, meta.type_code, meta.subject) == ("Công văn", None, "lịch trực Tết Giáp Thìn")


def test_type_line_wins_over_a_code_that_disagrees():
    text = HEAD.format(number="15/CTr-UBND") + "KẾ HOẠCH\nTổ chức Tháng hành động vì trẻ em năm 2024\n\nI. Mục đích\n"
    meta = _parse(text).metadata
    # The code stays what the number says; the type is what the document calls itself.
    assert (meta.doc_type, meta.type_code, meta.number) == ("Kế hoạch", "CTr", "15/CTr-UBND")


def test_consolidated_text_prints_the_consolidated_type_line():
    text = ("BỘ TÀI CHÍNH\n\nSố: 14/VBHN-BTC\n\nHà Nội, ngày 1 tháng 8 năm 2022\n\n"
            "THÔNG TƯ\nHướng dẫn thu phí khai thác nước vùng cao\n\nĐiều 1. Phạm vi điều chỉnh\n")
    meta = _parse(text).metadata
    assert (meta.doc_type, meta.type_code, meta.number) == ("Văn bản hợp nhất", "VBHN", "14/VBHN-BTC")


def test_law_number_line_names_the_type():
    meta = _parse("QUỐC HỘI\n\nBộ luật số: 91/2015/QH13\n\nĐiều 1. Phạm vi điều chỉnh\n").metadata
    assert (meta.doc_type, meta.type_code, meta.number, meta.issuer) == ("Bộ luật", None, "91/2015/QH13", "Quốc hội")


def test_copy_block_is_not_the_documents_closing_or_body():
    for name, original_end, copy_number in [
        ("sao-luc-quyet-dinh.txt", "Quyết định này có hiệu lực kể từ ngày ký.", "05/SL-UBND"),
        ("sao-y-thong-bao.txt", "tại Trụ sở Tiếp công dân huyện.", "09/SY-UBND"),
    ]:
        doc = _parse(_text(name), name)
        body = doc.raw.text[doc.body_span[0]:doc.body_span[1]]
        assert body.rstrip().endswith(original_end), name
        assert copy_number not in body and "SAO" not in body, name
        assert all(s.span[1] <= doc.body_span[1] for s in doc.sections), name


def test_copy_without_its_bodys_name_and_with_lower_case_mark():
    text = _text("sao-y-thong-bao.txt").replace("UBND XÃ BẾN ĐÁ\nSAO Y BẢN CHÍNH\n", "Sao y bản chính\n")
    meta = _parse(text).metadata
    assert (meta.signer_name, meta.recipients) == ("Vương Đình Sơn", ["UBND các xã, thị trấn", "Lưu: VT"])


@pytest.mark.parametrize("written, number, code", [
    ("29/VBHN-BXD", "29/VBHN-BXD", "VBHN"),
    ("94/2025/L-CTN", "94/2025/L-CTN", "L"),
    ("05/SL-UBND", "05/SL-UBND", "SL"),
    ("2900/ĐC-BTNMT", "2900/ĐC-BTNMT", "ĐC"),
    ("01/2014/NQLT-CP-UBTƯMTTQVN", "01/2014/NQLT-CP-UBTƯMTTQVN", "NQLT"),
    ("01/2012/NQLT/CP- BCHTWĐTN", "01/2012/NQLT/CP-BCHTWĐTN", "NQLT"),
    ("12/2016/TT-BTC", "12/2016/TT-BTC", "TT"),
    ("15/2020/NĐ-CP", "15/2020/NĐ-CP", "NĐ"),
    ("207/2025/QH15", "207/2025/QH15", None),
    ("03/QYĐ-UBND", "03/QYĐ-UBND", "QyĐ"),
    ("08a/2010/TT-BTP", "08a/2010/TT-BTP", "TT"),
    ("66.11/2026/NQ-CP", "66.11/2026/NQ-CP", "NQ"),
    ("45/TTr-UBND Sông Mây, ngày 20 tháng 11 năm 2024", "45/TTr-UBND", "TTr"),
])
def test_number_line_forms(written, number, code):
    assert parse_number(written) == (number, code)


def test_new_types_are_known_everywhere():
    for name, code in [("Văn bản hợp nhất", "VBHN"), ("Lệnh", "L"), ("Sao lục", "SL"), ("Đính chính", "ĐC"),
                       ("Nghị quyết liên tịch", "NQLT")]:
        assert type_for_code(code) == name and canonical_code(code.lower()) == code
        assert (name.upper(), name) in TYPE_LINES and is_type_line(name.upper())
    # corpus.numbers reads the same table.
    assert numbers.parse_number("94/2025/L-CTN").type_code == "L"
    assert numbers.parse_number("29/VBHN-BXD").type_code == "VBHN"
    assert is_type_line("CÔNG VĂN")

