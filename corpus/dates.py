"""Vietnamese date expressions -> ISO 8601.

Only complete dates become ISO strings: a draft's "ngày   tháng 4 năm 2024" has
no day, and the parser must report it as unknown rather than guess.
"""

from __future__ import annotations

import re
from datetime import date

# "19/7/2024", "19-07-2024", "19.7.2024"
NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
# "ngày 19 tháng 7 năm 2024"; day and month may be blank in drafts.
WORDED_DATE = re.compile(
    r"ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})?\s*năm\s*(\d{4})", re.IGNORECASE
)


def iso_date(day: int | str | None, month: int | str | None, year: int | str | None) -> str | None:
    """ISO date for a complete, valid day/month/year; None otherwise."""
    try:
        return date(int(year), int(month), int(day)).isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """Every complete date in ``text`` as (start, end, iso), in order of appearance."""
    found: list[tuple[int, int, str]] = []
    for rx in (NUMERIC_DATE, WORDED_DATE):
        for m in rx.finditer(text):
            iso = iso_date(m.group(1), m.group(2), m.group(3))
            if iso:
                found.append((m.start(), m.end(), iso))
    found.sort()
    return found
