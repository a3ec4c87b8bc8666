"""What a search may ask for, and its validation: filters, modes, passage kinds,
paging, query length. The CLI (``--filter field=value``, ``--k``) and the API
(query parameters) both build their requests here, so both accept the same
names and date forms and refuse the same bad values with the same codes.

Codes: ``invalid_parameter`` (a bad filter, date, year, kind, mode, k or page
number; the message names the field), ``empty_query``, ``query_too_long``,
``bad_page`` (a page past the results one may see).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from corpus.dates import find_dates, iso_date
from corpus.kinds import KINDS
from corpus.vietnamese import nfc
from indexer.store import Filters
from search_api.settings import Settings

MODES = ("hybrid", "dense", "lexical")
DATE_FORMS = "YYYY-MM-DD hoặc D/M/YYYY"


@dataclass(frozen=True)
class FilterField:
    """A search filter: ``--filter name=value`` in the CLI, ``?name=value`` in the API
    (whose parameters are generated from this list)."""

    name: str
    description: str  # for people, in Vietnamese (the CLI's help, the API's schema)
    max_length: int
    choices: tuple[str, ...] | None = None


FILTERS = (
    FilterField("issuer", "cơ quan ban hành, như trong trích dẫn", 300),
    FilterField("doc_type", "loại văn bản: Thông báo, Báo cáo…", 100),
    FilterField("type_code", "mã loại: TB, BC, QĐ…", 20),
    FilterField("number", "số, ký hiệu: 163/TB-UBND", 100),
    FilterField("date_from", f"ban hành từ ngày ({DATE_FORMS})", 40),
    FilterField("date_to", f"ban hành đến ngày ({DATE_FORMS})", 40),
    FilterField("year", "năm ban hành", 4),
    FilterField("kind", "loại đoạn", 20, KINDS),
    FilterField("status", "current: bỏ các văn bản đã bị văn bản sau thay thế hoặc bãi bỏ", 10, ("current",)),
)
FILTER_FIELDS = tuple(f.name for f in FILTERS)


class ParamError(ValueError):
    """A request that cannot be answered as given; ``message`` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def parse_date(value: str, field: str) -> str:
    """A calendar date as ISO: "2024-07-01", "1/7/2024", "01-07-2024"; impossible
    dates ("2024-02-30") are refused, never rolled over."""
    text = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    iso = iso_date(m.group(3), m.group(2), m.group(1)) if m else None
    if iso is None and not m:
        found = find_dates(text)
        if found and found[0][0] == 0 and found[0][1] == len(text):
            iso = found[0][2]
    if iso is None:
        raise ParamError("invalid_parameter", f"Ngày không hợp lệ ở {field}: {value!r} (dạng {DATE_FORMS})", field)
    return iso


def parse_year(value: str) -> tuple[str, str]:
    text = value.strip()
    if not (text.isdigit() and len(text) == 4):
        raise ParamError("invalid_parameter", f"Năm không hợp lệ ở year: {value!r} (bốn chữ số, ví dụ 2024)", "year")
    return f"{text}-01-01", f"{text}-12-31"


def parse_mode(value: str) -> str:
    if value not in MODES:
        raise ParamError(
            "invalid_parameter", f"Chế độ tìm kiếm không hợp lệ ở mode: {value!r} (một trong {', '.join(MODES)})", "mode"
        )
    return value


def _choice(given: Mapping[str, str], name: str) -> str | None:
    if name not in given:
        return None
    field = next(f for f in FILTERS if f.name == name)
    if given[name] not in (field.choices or ()):
        raise ParamError("invalid_parameter", f"Giá trị không hợp lệ ở {name}: {given[name]!r} "
                         f"(một trong {', '.join(field.choices or ())})", name)
    return given[name]


def build_filters(values: Mapping[str, str | None]) -> Filters:
    """Filters from ``{field: value}``; empty values mean "no filter". ``year`` is a
    date range, narrowed further by ``date_from``/``date_to`` when both are given."""
    unknown = [name for name in values if name not in FILTER_FIELDS]
    if unknown:
        raise ParamError(
            "invalid_parameter",
            f"Không có bộ lọc {', '.join(unknown)} (các bộ lọc: {', '.join(FILTER_FIELDS)})",
            unknown[0],
        )
    given = {name: nfc(v).strip() for name, v in values.items() if v is not None and v.strip()}
    filters = Filters(
        issuer=given.get("issuer"),
        doc_type=given.get("doc_type"),
        type_code=given.get("type_code"),
        number=given.get("number"),
        kind=_choice(given, "kind"),
        status=_choice(given, "status"),
    )
    starts, ends = [], []
    if "year" in given:
        first, last = parse_year(given["year"])
        starts.append(first)
        ends.append(last)
    if "date_from" in given:
        starts.append(parse_date(given["date_from"], "date_from"))
    if "date_to" in given:
        ends.append(parse_date(given["date_to"], "date_to"))
    filters.date_from = max(starts) if starts else None
    filters.date_to = min(ends) if ends else None
    return filters


def parse_filter_options(items: Sequence[str] | None) -> Filters:
    """The CLI's ``--filter field=value`` options (repeatable; a later value of a
    field wins) -> Filters, by the same rules as the API's parameters."""
    values: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not value.strip():
            raise ParamError(
                "invalid_parameter",
                f"Viết bộ lọc dạng trường=giá_trị, nhận được {item!r} (các bộ lọc: {', '.join(FILTER_FIELDS)})",
                name or None,
            )
        values[name] = value
    return build_filters(values)


@dataclass(frozen=True)
class Limits:
    """The bounds a request must keep, from ``Settings``."""

    max_query_chars: int
    max_results: int  # how deep one may look: offset + k
    max_page_size: int  # k of one API page


def limits_of(settings: Settings) -> Limits:
    return Limits(settings.max_query_chars, settings.max_results, settings.max_page_size)


def check_query(query: str | None, limits: Limits) -> str:
    """The query as searched: NFC, control characters out, white space collapsed."""
    if query is None:
        raise ParamError("empty_query", "Câu truy vấn trống", "q")
    if len(query) > limits.max_query_chars:
        raise ParamError("query_too_long", f"Câu truy vấn dài quá {limits.max_query_chars} ký tự", "q")
    text = "".join(ch if ch.isprintable() else " " for ch in nfc(query))
    text = " ".join(text.split())
    if not text:
        raise ParamError("empty_query", "Câu truy vấn trống", "q")
    return text


def check_k(k: int, largest: int) -> int:
    if not 1 <= k <= largest:
        raise ParamError("invalid_parameter", f"Số kết quả k phải từ 1 đến {largest}", "k")
    return k


def check_page(k: int, offset: int, largest: int) -> None:
    """``k`` results after the first ``offset``: refused past the first ``largest``."""
    if offset < 0 or offset + k > largest:
        raise ParamError("bad_page", f"Chỉ xem được {largest} kết quả đầu tiên", "page")


def page_offset(page: int, k: int, limits: Limits) -> int:
    """The offset of page ``page`` (1-based) of ``k`` results; refused past ``max_results``."""
    if page < 1:
        raise ParamError("invalid_parameter", "Số trang phải từ 1 trở lên", "page")
    offset = (page - 1) * k
    check_page(k, offset, limits.max_results)
    return offset
