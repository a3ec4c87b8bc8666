"""Render the labels of numbered and bulleted DOCX paragraphs ("1.", "1.2.", "a)", "- ").

python-docx gives the text of a list paragraph without its number, which Word
computes at display time from the numbering part. Administrative documents
carry meaning in those numbers ("Điều 5", "2.1."), so they are rebuilt here:
one counter per list (``numId``) and level, deeper levels restarting when a
shallower one advances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn

_BULLET_LABEL = "-"
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]  # fmt: skip


@dataclass(frozen=True)
class Level:
    start: int
    fmt: str  # w:numFmt, e.g. "decimal", "lowerLetter", "bullet"
    text: str  # w:lvlText, e.g. "%1.", "%1.%2.", "%1)"
    legal: bool = False  # w:isLgl: every %N rendered as a decimal


@dataclass(frozen=True)
class _Abstract:
    levels: dict[int, Level]
    style_link: str | None  # w:numStyleLink: the levels live in a numbering style


class ListLabels:
    """Numbering definitions of one document and the running counters of its lists."""

    def __init__(self, numbering: Any | None, styles: Any | None):
        self._abstract = _abstract_levels(numbering)
        self._nums = _nums(numbering)
        self._style_num = _style_nums(styles)
        self._counters: dict[str, dict[int, int]] = {}

    @classmethod
    def for_document(cls, document: Any) -> ListLabels:
        part = document.part
        try:
            numbering = part.numbering_part.element
        except (KeyError, NotImplementedError):
            numbering = None
        return cls(numbering, part.styles.element if part.styles is not None else None)

    def next_label(self, num_id: str, ilvl: int) -> str | None:
        """Advance list ``num_id`` at level ``ilvl`` and return its label, or None if not a list."""
        levels = self._levels(num_id)
        level = levels.get(ilvl)
        if level is None:
            return None
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if level.fmt == "bullet":
            return _BULLET_LABEL
        return _render(level.text, levels, counters, level.legal) or None

    def _levels(self, num_id: str) -> dict[int, Level]:
        num = self._nums.get(num_id)
        if num is None:
            return {}
        abstract_id, overrides = num
        abstract = self._abstract.get(abstract_id, _Abstract({}, None))
        levels = dict(abstract.levels)
        if not levels and abstract.style_link in self._style_num:
            # A list defined through a numbering style: follow the link once.
            linked = self._nums.get(self._style_num[abstract.style_link])
            if linked is not None and linked[0] in self._abstract:
                levels = dict(self._abstract[linked[0]].levels)
        for ilvl, start in overrides.items():
            if ilvl in levels:
                levels[ilvl] = Level(start, levels[ilvl].fmt, levels[ilvl].text, levels[ilvl].legal)
        return levels


def _render(template: str, levels: dict[int, Level], counters: dict[int, int], legal: bool) -> str:
    out = []
    i = 0
    while i < len(template):
        if template[i] == "%" and i + 1 < len(template) and template[i + 1].isdigit():
            ilvl = int(template[i + 1]) - 1
            i += 2
            level = levels.get(ilvl)
            value = counters.get(ilvl, level.start if level else 1)
            out.append(format_number(value, "decimal" if legal or level is None else level.fmt))
        else:
            out.append(template[i])
            i += 1
    return "".join(out).strip()


def format_number(value: int, fmt: str) -> str:
    """Render a list counter in a Word number format (unknown formats fall back to decimal)."""
    if fmt == "none":
        return ""
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in ("lowerLetter", "upperLetter"):
        # Word's letters go a..z, then aa..zz, aaa..
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1) if value > 0 else str(value)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman.upper() if fmt == "upperRoman" else roman
    return str(value)


def _roman(value: int) -> str:
    if value <= 0:
        return str(value)
    out = []
    for number, letters in _ROMAN:
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


def _val(element: Any, tag: str) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _abstract_levels(numbering: Any | None) -> dict[str, _Abstract]:
    result: dict[str, _Abstract] = {}
    if numbering is None:
        return result
    for abstract in numbering.findall(qn("w:abstractNum")):
        levels = {}
        for lvl in abstract.findall(qn("w:lvl")):
            levels[_int(lvl.get(qn("w:ilvl")), 0)] = _level(lvl)
        result[abstract.get(qn("w:abstractNumId"))] = _Abstract(levels, _val(abstract, "w:numStyleLink"))
    return result


def _level(lvl: Any) -> Level:
    return Level(
        start=_int(_val(lvl, "w:start"), 1),
        fmt=_val(lvl, "w:numFmt") or "decimal",
        text=_val(lvl, "w:lvlText") or "",
        legal=lvl.find(qn("w:isLgl")) is not None,
    )


def _nums(numbering: Any | None) -> dict[str, tuple[str, dict[int, int]]]:
    result: dict[str, tuple[str, dict[int, int]]] = {}
    if numbering is None:
        return result
    for num in numbering.findall(qn("w:num")):
        overrides = {}
        for override in num.findall(qn("w:lvlOverride")):
            start = _val(override, "w:startOverride")
            if start is not None:
                overrides[_int(override.get(qn("w:ilvl")), 0)] = _int(start, 1)
        result[num.get(qn("w:numId"))] = (_val(num, "w:abstractNumId") or "", overrides)
    return result


def _style_nums(styles: Any | None) -> dict[str, str]:
    """Style id -> numId for styles that carry numbering (numbering styles, list styles)."""
    result: dict[str, str] = {}
    if styles is None:
        return result
    for style in styles.findall(qn("w:style")):
        ppr = style.find(qn("w:pPr"))
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id = _val(num_pr, "w:numId")
        if num_id is not None:
            result[style.get(qn("w:styleId"))] = num_id
    return result
