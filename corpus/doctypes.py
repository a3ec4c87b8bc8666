"""Document types and their codes (Decree 30/2020/NĐ-CP, Appendix III), plus the
legal document types seen in the codification corpus and the Official Gazette.

The codes are how a number like "163/TB-UBND" says what a document is.
"""

from __future__ import annotations

from corpus.vietnamese import fold

# name -> code; a Công văn and a Luật have no type code in their number.
TYPE_CODES: dict[str, str | None] = {
    "Nghị quyết": "NQ",
    "Quyết định": "QĐ",
    "Chỉ thị": "CT",
    "Quy chế": "QC",
    "Quy định": "QyĐ",
    "Thông cáo": "TC",
    "Thông báo": "TB",
    "Hướng dẫn": "HD",
    "Chương trình": "CTr",
    "Kế hoạch": "KH",
    "Phương án": "PA",
    "Đề án": "ĐA",
    "Dự án": "DA",
    "Báo cáo": "BC",
    "Biên bản": "BB",
    "Tờ trình": "TTr",
    "Hợp đồng": "HĐ",
    "Công điện": "CĐ",
    "Bản ghi nhớ": "BGN",
    "Bản thỏa thuận": "BTT",
    "Giấy ủy quyền": "GUQ",
    "Giấy mời": "GM",
    "Giấy giới thiệu": "GGT",
    "Giấy nghỉ phép": "GNP",
    "Phiếu gửi": "PG",
    "Phiếu chuyển": "PC",
    "Phiếu báo": "PB",
    "Nghị định": "NĐ",
    "Thông tư": "TT",
    "Thông tư liên tịch": "TTLT",
    "Pháp lệnh": "PL",
    "Nghị quyết liên tịch": "NQLT",  # "01/2014/NQLT-CP-UBTƯMTTQVN"
    "Lệnh": "L",  # of the President: "94/2025/L-CTN"
    "Văn bản hợp nhất": "VBHN",  # a consolidated text: "29/VBHN-BXD"
    "Đính chính": "ĐC",  # a correction: "2900/ĐC-BTNMT"
    "Sao lục": "SL",  # a copy (Decree 30, Appendix I): "05/SL-UBND"
    "Kết luận": "KL",  # of a Party body: "18-KL/TW"
    "Luật": None,
    "Bộ luật": None,
    "Công văn": None,
}

# Codes that tell what form a document takes whatever its content: a consolidated text
# and a copy print the type line of the text they consolidate or copy ("THÔNG TƯ"),
# so their code, not that line, says what the document is.
FORM_CODES = frozenset({"VBHN", "SL"})

CODE_TO_TYPE: dict[str, str] = {code: name for name, code in TYPE_CODES.items() if code}
# Type codes are written in upper case in numbers; "QyĐ" and "CTr" are the exceptions
# that Decree 30 spells with a lower-case letter, and people type them in capitals.
CODE_TO_TYPE_UPPER: dict[str, str] = {code.upper(): name for code, name in CODE_TO_TYPE.items()}


def type_for_code(code: str) -> str | None:
    return CODE_TO_TYPE.get(code) or CODE_TO_TYPE_UPPER.get(code.upper())


def canonical_code(code: str) -> str | None:
    """The code as Decree 30 writes it ("QYĐ" -> "QyĐ"), or None if it is not a type code."""
    name = type_for_code(code)
    return TYPE_CODES[name] if name else None


# Upper-case type lines ("THÔNG BÁO", "QUYẾT ĐỊNH"), longest first so that
# "THÔNG TƯ LIÊN TỊCH" wins over "THÔNG TƯ". A Công văn has no type line by
# Decree 30, but when one is printed it says so as plainly as any other.
TYPE_LINES: list[tuple[str, str]] = sorted(
    ((name.upper(), name) for name in TYPE_CODES),
    key=lambda pair: -len(pair[0]),
)


def code_for_type(doc_type: str) -> str | None:
    """"Thông báo" -> "TB"; None for unknown types and for types without a code."""
    wanted = doc_type.strip().lower()
    for name, code in TYPE_CODES.items():
        if name.lower() == wanted:
            return code
    return None


_TYPE_LINES_FOLDED = {fold(upper) for upper, _ in TYPE_LINES}


def is_type_line(text: str) -> bool:
    """An upper-case line naming a document type: "QUY CHẾ", "QUYẾT ĐỊNH:"."""
    letters = [c for c in text if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return False
    return fold(text).strip().rstrip(":").strip() in _TYPE_LINES_FOLDED
