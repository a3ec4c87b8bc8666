"""The section tree of a document body.

Headings are recognised line by line and nested by *rank*, not by position: a
report may start at "I." and a notice at "1.", a legal text at "Chương I" /
"Điều 5". A heading closes every open section of the same or a lower rank.

Ranks, from the top: Phần, Chương, Mục, Roman parts, Điều, "1.", "1.1.",
"1.1.1.", "a)", bold headings (in these documents, mostly the unit a task is
given to), bullets that open with a lead-in ("- Về lĩnh vực y tế: …").
A bullet without a lead-in is body text, not a section. Footnotes ("¹ …") are
leaves: the text after them still belongs to the section around them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from corpus.doctypes import is_type_line
from corpus.lines import Line
from corpus.models import RawDocument, Section

# Parts of a report run I to XXX at most; "CV." or "MC." at a line start are not parts.
ROMAN = re.compile(r"^(?=[IVX])(XXX|XX|X)?(IX|IV|V?I{0,3})$")
PART = re.compile(r"^Phần\s+(thứ\s+\w+|[IVXLC]+|\d+)\b[.:]?\s*", re.IGNORECASE)
CHAPTER = re.compile(r"^Chương\s+([IVXLC]+|\d+)\b[.:]?\s*")
DIVISION = re.compile(r"^Mục\s+([IVXLC]+|\d+)\b[.:]?\s*")
ARTICLE = re.compile(r"^Điều\s+(\d+[a-zđ]?)(?:\.|:|\s*$|\s+(?=[A-ZĐ]))\s*")
ROMAN_HEAD = re.compile(r"^([IVXLC]{1,6})[.)]\s+(?=\S)")
NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+(?=[^\d\s])|^(\d{1,2})[.)]\s+(?=[^\d\s])")
LETTER = re.compile(r"^([a-zđ])\)\s+(?=\S)")
BULLET = re.compile(r"^[-+•–*]+\s*")
LEAD_IN = re.compile(r"^(?P<lead>[A-ZĐÀ-Ỹ][^:;.!?]{2,100}?)\s*:(?:\s+|$)")
FOOTNOTE = re.compile(r"^(?:⁽[¹²³⁴⁵⁶⁷⁸⁹⁰\d]+⁾|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[\d+\])\s*(?=\S)")
SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰⁽⁾", "1234567890()")

RANK = {
    "part": 0,
    "chapter": 1,
    "division": 2,
    "roman": 3,
    "article": 4,
    "numbered": 5,  # + depth - 1, up to 8
    "letter": 9,
    "unit": 10,
    "item": 11,
}
MAX_HEADING_WORDS = 25


@dataclass
class HeadingMatch:
    kind: str
    rank: float
    label: str | None
    heading: str
    title_only: bool = True


def short_heading(text: str) -> str:
    """A heading fit for a citation path: a long numbered paragraph is cut at its
    first colon, or after a few words."""
    text = text.strip()
    words = text.split()
    if len(words) <= MAX_HEADING_WORDS:
        return text.rstrip(":").strip()
    colon = text.find(":")
    if 0 < colon and len(text[:colon].split()) <= MAX_HEADING_WORDS:
        return text[:colon].strip()
    return " ".join(words[:18]) + " …"


class BoldIndex:
    """Answers "is this span bold?" against the reader's sorted bold spans."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covering(self, pos: int) -> tuple[int, int] | None:
        """The bold span containing ``pos``, or None."""
        i = bisect_left(self.starts, pos + 1) - 1
        if i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]:
            return self.spans[i]
        return None

    def bold_prefix(self, start: int, end: int, text: str) -> int:
        """Length of the bold run at the start of ``text`` (a line at ``start``), 0 if none."""
        span = self.covering(start)
        if span is None:
            return 0
        covered = min(span[1], end) - start
        # Adjacent bold spans separated only by spaces count as one run.
        while covered < end - start:
            nxt = self.covering(start + covered + (len(text[covered:]) - len(text[covered:].lstrip())))
            if nxt is None or nxt[0] < start + covered:
                break
            covered = min(nxt[1], end) - start
        return covered


def classify(line: Line, bold: BoldIndex, next_line: Line | None) -> HeadingMatch | None:
    match = _classify(line, bold, next_line)
    if match is not None and match.kind not in ("unit", "item"):
        # "a) Lĩnh vực kinh tế" is a title; "a) Chủ tịch UBND xã;" is an item of a list.
        match.title_only = match.heading == line.text.rstrip(":").strip() and not line.text.endswith((".", ";", ","))
    elif match is not None:
        # A unit or item heading with text after it ("Công an huyện: Tiếp tục …").
        rest = BULLET.sub("", line.text).strip()
        match.title_only = rest.rstrip(":").strip() == match.heading
    return match


def _classify(line: Line, bold: BoldIndex, next_line: Line | None) -> HeadingMatch | None:
    text = line.text
    for kind, rx in (("part", PART), ("chapter", CHAPTER), ("division", DIVISION), ("article", ARTICLE)):
        m = rx.match(text)
        if m:
            label = text[: m.end()].strip().rstrip(".:")
            return HeadingMatch(kind, RANK[kind], label, short_heading(text))
    m = ROMAN_HEAD.match(text)
    if m and ROMAN.match(m.group(1)):
        return HeadingMatch("roman", RANK["roman"], m.group(1), short_heading(text))
    m = NUMBERED.match(text)
    if m:
        label = m.group(1) or m.group(2)
        depth = label.count(".") + 1
        return HeadingMatch("numbered", RANK["numbered"] + min(depth, 4) - 1, label, short_heading(text))
    m = LETTER.match(text)
    if m:
        return HeadingMatch("letter", RANK["letter"], m.group(1), short_heading(text))

    # Bold headings may sit behind a bullet ("* **Phòng Kinh tế và Hạ tầng:** …").
    bullet = BULLET.match(text)
    offset = bullet.end() if bullet else 0
    rest = text[offset:]
    bold_len = bold.bold_prefix(line.start + offset, line.end, rest)
    if bold_len > 0:
        bold_text = rest[:bold_len].strip()
        after = rest[bold_len:].strip()
        if not after and len(bold_text.split()) <= 20:
            return HeadingMatch("unit", RANK["unit"], None, bold_text.rstrip(":").strip())
        if bold_text.endswith(":") or after.startswith(":"):
            return HeadingMatch("unit", RANK["unit"], None, bold_text.rstrip(":").strip())
    if bullet:
        m = LEAD_IN.match(rest)
        if m and len(m.group("lead").split()) <= 12:
            return HeadingMatch("item", RANK["item"], None, m.group("lead").strip())
        words = rest.split()
        next_is_bullet = next_line is not None and BULLET.match(next_line.text) is not None
        if 0 < len(words) <= 15 and not rest.rstrip().endswith((".", ";", ",")) and not next_is_bullet and next_line is not None:
            return HeadingMatch("item", RANK["item"], None, rest.strip().rstrip(":"))
    return None


def _list_rank(number: int, match: HeadingMatch, stack: list[tuple[float, Section]]) -> float:
    """Rank of a "N." heading, read from the numbering sequence: "3." after an open
    "2." is its sibling, but a "1." right under an open "2." starts a list nested
    inside it (Word numbered lists under a numbered heading look like this). When
    both an inner and an outer list could continue, the one whose items look alike
    (titles vs. sentences) wins."""
    candidates = [
        (open_rank, sec)
        for open_rank, sec in reversed(stack)
        if sec.kind == "numbered" and sec.label and sec.label.isdigit() and int(sec.label) + 1 == number
    ]
    if candidates:
        alike = [c for c in candidates if c[1].title_only == match.title_only]
        return (alike or candidates)[0][0]
    if number == 1 and stack and stack[-1][1].kind == "numbered":
        return stack[-1][0] + 0.5
    return match.rank


def _is_title_line(line: Line, heading: Line) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    return (
        not line.blank_before
        and heading.text.strip().count(" ") <= 2
        and bool(letters)
        and all(c.isupper() for c in letters)
        and len(line.text.split()) <= 15
    )


def footnote_label(text: str) -> str | None:
    m = FOOTNOTE.match(text)
    if not m:
        return None
    return m.group(0).strip().translate(SUPERSCRIPT).strip("()[]")


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def build_sections(
    raw: RawDocument,
    lines: list[Line],
    body_start: int,
    body_end: int,
    skip: list[tuple[int, int]] = (),  # type: ignore[assignment]
    plain: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> list[Section]:
    """Sections of the body ``[body_start, body_end)`` in document order.

    Lines in ``skip`` (a closing block inside the body) belong to no section and
    close every open one; lines in ``plain`` are text even if they look like headings."""
    skip = list(skip)
    plain = list(plain)
    body = [ln for ln in lines if body_start <= ln.start < body_end]
    bold = BoldIndex(raw.bold)
    styled = {(s, e): level for s, e, level in raw.headings}
    sections: list[Section] = []
    stack: list[tuple[float, Section]] = []  # (rank, section)
    end_of_body = body[-1].end if body else body_start

    def close(until_rank: float, at: int) -> None:
        while stack and stack[-1][0] >= until_rank:
            _, sec = stack.pop()
            sec.span = (sec.span[0], at)

    def add(kind: str, label: str | None, heading: str, line: Line, rank: float | None) -> Section:
        parent = stack[-1][1] if stack else None
        sec = Section(
            id=len(sections),
            parent=parent.id if parent else None,
            level=len(stack) + 1,
            kind=kind,
            label=label,
            heading=heading,
            span=(line.start, line.end),
            heading_span=(line.start, line.end),
        )
        sections.append(sec)
        if parent:
            parent.children.append(sec.id)
        if rank is not None:
            stack.append((rank, sec))
        return sec

    skip_next = False
    for i, line in enumerate(body):
        if skip_next:
            skip_next = False
            continue
        nxt = body[i + 1] if i + 1 < len(body) else None
        if _inside(line.start, skip):
            close(-1, line.start)
            continue
        if _inside(line.start, plain) or is_type_line(BULLET.sub("", line.text)):
            continue
        fn = footnote_label(line.text)
        if fn:
            add("footnote", fn, f"Chú thích ({fn})", line, None)
            continue
        match = classify(line, bold, nxt)
        level = styled.get((line.start, line.end))
        if match is None and level is not None:
            match = HeadingMatch("heading", max(0, level - 1), None, short_heading(line.text))
        if match is None:
            if BULLET.match(line.text):
                close(RANK["item"], line.start)  # a plain bullet ends the previous lead-in item
            continue
        if match.kind == "numbered" and match.label and match.label.isdigit():
            match.rank = _list_rank(int(match.label), match, stack)
        close(match.rank, line.start)
        sec = add(match.kind, match.label, match.heading, line, match.rank)
        sec.title_only = match.title_only
        if match.kind in ("part", "chapter", "division") and nxt is not None and _is_title_line(nxt, line):
            # "Chương I" / "QUY ĐỊNH CHUNG": the chapter's name is on the next line.
            sec.heading = f"{sec.heading.rstrip('.:')}. {nxt.text}"
            sec.heading_span = (line.start, nxt.end)
            sec.span = (line.start, nxt.end)
            skip_next = True
    close(-1, end_of_body)

    for sec in sections:
        sec.pages = raw.pages_for(*sec.span)
    return sections


def heading_path(sections: list[Section], section_id: int | None) -> list[str]:
    path: list[str] = []
    while section_id is not None:
        sec = sections[section_id]
        path.append(sec.heading)
        section_id = sec.parent
    return path[::-1]
