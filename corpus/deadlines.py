"""Deadlines in directive text: "trước ngày 15/8/2024" -> "2024-08-15".

A date is a deadline only behind a cue that sets a time limit ("trước ngày",
"chậm nhất", "hoàn thành trong tháng …", "trong Quý III/2024", "đến hết …").
Directives cite decisions and report periods on nearly every line
("Quyết định số 03/QĐ-UBND ngày 02/01/2024", "9 tháng đầu năm 2024"); without
a cue those are never taken. Recurring limits ("trước ngày 25 hằng tháng",
"thứ Sáu hằng tuần") are not deadlines either: they have no single value.

Matching runs on ``fold_key`` of the text, which is length-preserving, so the
offsets found there are offsets into the text as written, and tone style or a
missing diacritic does not matter.

Values are ISO-like strings by kind: "2024-08-15" (date), "2024-09" (month),
"2024-Q3" (quarter), "2024-H2" (half year), "2024" (year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from corpus.dates import iso_date
from corpus.vietnamese import fold_key

__all__ = ["Deadline", "find_deadline", "find_deadlines"]


@dataclass(frozen=True)
class Deadline:
    value: str  # "2024-08-15", "2024-09", "2024-Q3", "2024-H2", "2024"
    text: str  # the words that state it, as written ("trước ngày 15/8/2024")
    start: int
    end: int
    kind: str  # "date" | "month" | "quarter" | "half" | "year"


# "17 giờ", "17h30", "17 giờ 30 phút": a time of day between the cue and the date.
_TIME = r"(?:\d{1,2}\s*(?:gio|h)(?:\s*\d{1,2}(?:\s*phut)?)?\s+)"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
# 15/8/2024, 15-8-2024, 15.8.2024, 15/8; "15 tháng 8 năm 2024", "15 tháng 8".
_DAY_MONTH = (
    r"(?P<d>\d{1,2})\s*(?:[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*" + _YEAR + r")?"
    r"|\s+thang\s+(?P<m2>\d{1,2})(?:\s*(?:,\s*)?nam\s+(?P<y2>(?:19|20)\d{2}))?)(?![\d/])"
)
_DATE_CUE = (
    r"(?:cham nhat(?:\s+la)?(?:\s+(?:truoc|vao|trong))?|(?:(?:hoan thanh|xong|ket thuc)\s+)?truoc"
    r"|den het|han chot(?:\s+la)?)"
)
DATE_RX = re.compile(r"(?<![\w])" + _DATE_CUE + r"\s+" + _TIME + r"?(?:ngay\s+)?" + _DAY_MONTH)

# Cues for a period: "trong tháng 9/2023", "đến hết Quý III/2024", "hoàn thành trong năm 2024".
_PERIOD_CUE = r"(?:(?:hoan thanh|xong|ket thuc|cham nhat)\s+)?(?:trong|den het|den cuoi|truoc het)"
MONTH_RX = re.compile(
    r"(?<![\w])" + _PERIOD_CUE + r"\s+thang\s+(?P<m>\d{1,2})(?!\d)"
    r"(?:\s*(?:[/.\-]|,?\s*nam)\s*" + _YEAR + r")?(?![\d/])"
)
QUARTER_RX = re.compile(
    r"(?<![\w])" + _PERIOD_CUE + r"\s+quy\s+(?P<q>iv|iii|ii|i|[1-4])(?![\w])"
    r"(?:\s*(?:[/.\-]|,?\s*nam)\s*" + _YEAR + r")?(?![\d/])"
)
HALF_RX = re.compile(
    r"(?<![\w])" + _PERIOD_CUE + r"\s+0?6\s+thang\s+(?P<h>cuoi|dau)\s+nam(?:\s+" + _YEAR + r")?(?![\d/])"
)
YEAR_RX = re.compile(r"(?<![\w])" + _PERIOD_CUE + r"\s+nam\s+" + _YEAR + r"(?![\d/])")
# "đến cuối năm", "trong năm nay": the year of the document. A bare "trong năm"
# is left alone: "trong năm qua" reports on the past.
THIS_YEAR_RX = re.compile(r"(?<![\w])(?:(?:den cuoi|den het|truoc het)\s+nam|trong nam nay)(?![\w]|\s+(?:hoc|\d))")

# A limit that comes back every period has no single value.
RECURRING = re.compile(r"^[\s,]*(?:cua\s+)?(?:hang|moi)\s+(?:ngay|tuan|thang|quy|nam)\b")
_ROMAN_Q = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date.fromordinal(first_of_next.toordinal() - 1)


def _reference(reference: str | None) -> date | None:
    if not reference:
        return None
    try:
        return date.fromisoformat(reference[:10])
    except ValueError:
        return None


def _year_for(ref: date | None, month: int, day: int | None = None) -> int | None:
    """The year of the next such day (or month, when ``day`` is None) on or after
    ``ref``, for a limit written without a year; None without a reference."""
    if ref is None or not 1 <= month <= 12:
        return None
    last = _month_end(ref.year, month)
    if day is not None and day <= last.day:
        last = date(ref.year, month, day)
    return ref.year if last >= ref else ref.year + 1


def _candidates(text: str, ref: date | None) -> list[tuple[int, int, str, str, date]]:
    """(start, end, value, kind, last day) of every cued deadline in ``text``."""
    key = fold_key(text)
    found: list[tuple[int, int, str, str, date]] = []

    def recurring(end: int) -> bool:
        return RECURRING.match(key[end : end + 20]) is not None

    for m in DATE_RX.finditer(key):
        if recurring(m.end()):
            continue
        day = int(m.group("d"))
        month = m.group("m") or m.group("m2")
        year = m.group("y") or m.group("y2")
        if month is None:
            continue
        month_i = int(month)
        year_i = int(year) if year else _year_for(ref, month_i, day)
        iso = iso_date(day, month_i, year_i) if year_i else None
        if iso:
            found.append((m.start(), m.end(), iso, "date", date.fromisoformat(iso)))
    for m in MONTH_RX.finditer(key):
        if recurring(m.end()):
            continue
        month_i = int(m.group("m"))
        if not 1 <= month_i <= 12:
            continue
        year_i = int(m.group("y")) if m.group("y") else _year_for(ref, month_i)
        if year_i:
            found.append((m.start(), m.end(), f"{year_i:04d}-{month_i:02d}", "month", _month_end(year_i, month_i)))
    for m in QUARTER_RX.finditer(key):
        if recurring(m.end()):
            continue
        q = _ROMAN_Q.get(m.group("q")) or int(m.group("q"))
        year_i = int(m.group("y")) if m.group("y") else _year_for(ref, 3 * q)
        if year_i:
            found.append((m.start(), m.end(), f"{year_i:04d}-Q{q}", "quarter", _month_end(year_i, 3 * q)))
    for m in HALF_RX.finditer(key):
        h = 2 if m.group("h") == "cuoi" else 1
        year_i = int(m.group("y")) if m.group("y") else (ref.year if ref else None)
        if year_i:
            found.append((m.start(), m.end(), f"{year_i:04d}-H{h}", "half", _month_end(year_i, 6 * h)))
    for m in YEAR_RX.finditer(key):
        year_i = int(m.group("y"))
        found.append((m.start(), m.end(), f"{year_i:04d}", "year", date(year_i, 12, 31)))
    if ref is not None:
        for m in THIS_YEAR_RX.finditer(key):
            found.append((m.start(), m.end(), f"{ref.year:04d}", "year", date(ref.year, 12, 31)))
    return found


def find_deadlines(text: str, reference: str | None = None) -> list[Deadline]:
    """Every deadline stated in ``text``, in order of appearance.

    ``reference`` is the document's date (ISO): it supplies the year of a date
    written without one (the next such date on or after it), and a period that
    ended before it is a past period being reported on, not a deadline.
    """
    ref = _reference(reference)
    spans = sorted(_candidates(text, ref), key=lambda c: (c[0], -(c[1] - c[0])))
    out: list[Deadline] = []
    taken_until = -1
    for start, end, value, kind, last_day in spans:
        if start < taken_until:
            continue  # inside a longer match ("trong tháng" within "hoàn thành trong tháng")
        if ref is not None and last_day < ref:
            continue
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append(Deadline(value=value, text=text[start:end], start=start, end=end, kind=kind))
        taken_until = end
    return out


def find_deadline(text: str, reference: str | None = None) -> Deadline | None:
    """The first deadline stated in ``text``, or None (no cue, recurring, invalid date)."""
    found = find_deadlines(text, reference)
    return found[0] if found else None
