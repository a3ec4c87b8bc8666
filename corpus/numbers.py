"""Document numbers ("số, ký hiệu"): as printed, as people type them, as
documents cite them.

Forms (see Decree 30/2020/NĐ-CP and ``README``): administrative "163/TB-UBND",
legal "45/2011/TT-BCT" (with the year), joint "18/2012/TTLT-BTC-BTTTT",
National Assembly "207/2025/QH15", consolidated "29/VBHN-BXD", Công văn
"812/UBND-NN" (no type code), Party "218-TB/HU". A number's *key* is the form
used to compare two numbers: diacritics folded (Đ -> D), upper case, no spaces,
no leading zeros: "163 / tb - ubnd" and "163/TB-UBND" have the same key.

People type a number in many ways: "163/tb-ubnd", "163 TB-UBND", "TB 163",
"số 163", "thông báo số 163", "TT 12/2016", "thông tư 12/2016", "nghị định
15/2020", "thông tư 12 năm 2016". ``parse_number_query`` reads them all into a
``NumberQuery``: what the query pins down (sequence, year, type, full key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.doctypes import TYPE_CODES, canonical_code
from corpus.vietnamese import fold, nfc

_LETTER = r"A-Za-zĐđ"
# A state number: sequence / [year /] symbol, the symbol's first part usually the type code.
_STATE = (
    rf"(?P<seq>\d{{1,5}}(?:\.\d{{1,3}})?[{_LETTER}]?)\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    rf"(?P<sym>[{_LETTER}][\w&.]*(?:\s?-\s?[\w&.]*[{_LETTER}\d]|/[{_LETTER}][\w&.]*)*)"
)
# A Party number: sequence - type code / body ("218-TB/HU", "06-NQ/TU").
_PARTY = rf"(?P<pseq>\d{{1,5}})\s*-\s*(?P<pcode>[{_LETTER}]{{1,6}})\s*/\s*(?P<porg>[{_LETTER}][\w.]*(?:-[\w.]*[{_LETTER}\d])*)"
NUMBER_RX = re.compile(rf"(?<![\w/.-])(?:{_PARTY}|{_STATE})(?![\w/])")
# In running text a full stop after a number ends the sentence: "… Luật số 45/2013/QH13." cites "45/2013/QH13".
_NUMBER_IN_TEXT = re.compile(rf"(?<![\w/.-])(?:{_PARTY}|{_STATE})(?<!\.)(?![\w/])")


@dataclass(frozen=True)
class DocNumber:
    """A document number, read from how it is written."""

    seq: str  # "163", "9A"; no leading zeros
    year: str | None  # the year inside the number ("12/2016/TT-BTC"), not the date of issue
    symbol: str  # "TB-UBND", "TT-BTC", "QH15", "TB/HU"
    type_code: str | None  # canonical type code ("TB", "QĐ", "TTLT"), None for a Công văn or a Luật
    party: bool = False

    @property
    def text(self) -> str:
        """The number as it is printed, spaces tidied: "163/TB-UBND", "218-TB/HU"."""
        if self.party:
            return f"{self.seq}-{self.symbol}"
        return "/".join([self.seq, *([self.year] if self.year else []), self.symbol])

    @property
    def key(self) -> str:
        return number_key(self.text)


def _tidy_seq(seq: str) -> str:
    return seq.lstrip("0") or "0"


def _from_match(m: re.Match[str]) -> DocNumber | None:
    if m.group("pseq"):
        code = canonical_code(m.group("pcode"))
        if code is None:
            return None
        return DocNumber(_tidy_seq(m.group("pseq")), None, f"{m.group('pcode')}/{m.group('porg')}", code, party=True)
    symbol = re.sub(r"\s*-\s*", "-", m.group("sym")).rstrip(".-")
    first = re.split(r"[-/]", symbol)[0]
    code = canonical_code(first) or canonical_code(re.sub(r"\d+$", "", first))
    # "QH15" is the legislature, not a type: a resolution of the National Assembly.
    return DocNumber(_tidy_seq(m.group("seq")), m.group("year"), symbol, code)


def parse_number(text: str) -> DocNumber | None:
    """The number that ``text`` is (white space around it allowed), or None."""
    m = NUMBER_RX.fullmatch(nfc(text).strip())
    return _from_match(m) if m else None


def find_numbers(text: str) -> list[tuple[int, int, DocNumber]]:
    """Every document number written in ``text``, as (start, end, number)."""
    out = []
    for m in _NUMBER_IN_TEXT.finditer(text):
        number = _from_match(m)
        if number is not None:
            out.append((m.start(), m.end(), number))
    return out


def number_key(number: str) -> str:
    """The comparison form of a written number: "163 / tb - ubnd" -> "163/TB-UBND",
    "03/QĐ-UBND" -> "3/QD-UBND"."""
    key = re.sub(r"\s+", "", fold(nfc(number))).upper()
    return re.sub(r"^0+(?=\d)", "", key)


# ---------------------------------------------------------------- queries

# Type names and codes as people type them, folded and lower-cased -> (type name, code).
_TYPE_WORDS: dict[str, tuple[str, str | None]] = {}
for _name, _code in TYPE_CODES.items():
    _TYPE_WORDS[fold(_name).lower()] = (_name, _code)
    if _code and len(_code) > 1:  # "L" (Lệnh) alone is too easily a typo
        _TYPE_WORDS.setdefault(fold(_code).lower(), (_name, _code))
_TYPE_WORDS["cv"] = ("Công văn", None)
_TYPE_ALT = "|".join(sorted((re.escape(w) for w in _TYPE_WORDS), key=len, reverse=True))

# "thông tư (số) 12(/2016| năm 2016)", "TB 163", "số 163"
_SPOKEN = re.compile(
    rf"^(?:(?P<type>{_TYPE_ALT})\s+)?(?:so\s*:?\s*)?(?P<seq>\d{{1,5}}(?:\.\d{{1,3}})?[a-z]?)"
    rf"(?:\s*/\s*(?P<year>(?:19|20)\d\d)|\s+nam\s+(?P<year2>(?:19|20)\d\d))?$"
)
# "163 TB-UBND": a space where the slash goes
_SPACED = re.compile(rf"^(?P<seq>\d{{1,5}})\s+(?P<sym>[{_LETTER}]+\s?-\s?[\w-]+)$")


@dataclass(frozen=True)
class NumberQuery:
    """What a query typed as a number pins down. ``key`` when the whole number was
    typed; otherwise the sequence, and the year and type when given."""

    seq: str
    year: str | None = None
    type_code: str | None = None
    doc_type: str | None = None  # the type named ("Nghị quyết"): matches numbers whose symbol has no type code
    key: str | None = None

    @property
    def full(self) -> bool:
        return self.key is not None


def parse_number_query(query: str) -> NumberQuery | None:
    """The number a query asks for, when the query is nothing but a number in one
    of the forms people type ("163/TB-UBND", "TB 163", "thông tư 12 năm 2016", …)."""
    text = " ".join(nfc(query).split())
    folded = fold(text).lower().strip(" .,;:")
    # "thông báo số 163/TB-UBND": a type name before a whole number adds nothing.
    lead = re.match(rf"^(?:(?:{_TYPE_ALT})\s+)?(?:so\s*:?\s*)?", folded)
    rest = text[lead.end():] if lead else text
    whole = parse_number(rest.strip(" .,;:"))
    if whole is None:
        m = _SPACED.match(rest.strip())
        if m:
            whole = parse_number(f"{m.group('seq')}/{m.group('sym')}")
    if whole is not None:
        return NumberQuery(seq=whole.seq, year=whole.year, type_code=whole.type_code, key=whole.key)
    m = _SPOKEN.match(folded)
    if not m or not (m.group("type") or folded.startswith("so")):
        return None  # a bare "163" is a number in some passage, not a document's
    name, code = _TYPE_WORDS[m.group("type")] if m.group("type") else (None, None)
    return NumberQuery(seq=_tidy_seq(m.group("seq").upper()), year=m.group("year") or m.group("year2"),
                       type_code=code, doc_type=name)
