"""Rebuild paragraphs from the hard-wrapped lines a PDF gives back.

A PDF has no paragraphs, only positioned lines. Joining every line would glue
list items and headings to the text before them; keeping every line would cut
sentences in two. The rules here keep a break where an administrative document
starts something new (a numbered item, a bullet, "Điều 5.", an all-caps header
line) or where a line is clearly the end of a paragraph, and join the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.models import PageSpan

_ITEM_START = re.compile(
    r"""^(?:
        [IVXLCDM]{1,6}[.)](?:\s|$)                         # I.  II)
      | \d{1,3}(?:\.\d{1,3})*[.)](?:\s|$)                 # 1.  1.1.  2)
      | \d{1,3}(?:\.\d{1,3})+\s                           # 4.1 Về ...
      | [a-zđ][.)]\s                                      # a)  b.
      | [-+•–—*▪●○◦·]\s                                   # bullets
      | Điều\s+\d+[a-z]?\s*[.:]                           # Điều 5.
      | (?:Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN)\s+[IVXLCDM\d]+\s*(?:[.:]|$)
    )""",
    re.VERBOSE,
)
_SENTENCE_END = tuple(".:;!?…")
_DOCUMENT_END = "/."  # "./." closes the body of an administrative document
_MAX_HEADER_LEN = 80
# A line shorter than these fractions of the usual line width did not wrap.
_ENDS_PARAGRAPH = 0.8
_ENDS_LINE = 0.6
# Floor for the usual width, so that a document of short lines is not taken for a narrow column.
_MIN_WIDTH = 60


@dataclass
class Line:
    text: str
    bold: list[bool]  # one flag per character of ``text``
    blank_before: bool = False


@dataclass
class Rebuilt:
    text: str
    bold: list[bool]
    pages: list[PageSpan] = field(default_factory=list)


def rebuild(pages: list[list[Line]]) -> Rebuilt:
    """Join the lines of all pages into paragraphs; pages are 1-based in order."""
    width = _usual_width([line for page in pages for line in page])
    pieces: list[str] = []
    flags: list[bool] = []
    spans: list[PageSpan] = []
    length = 0
    prev: Line | None = None
    for number, lines in enumerate(pages, start=1):
        page_start = length
        for i, line in enumerate(lines):
            sep = _separator(prev, line, width)
            pieces.append(sep)
            flags.extend([False] * len(sep))
            length += len(sep)
            if i == 0:
                # The separator before a page's first line stays on the page before.
                if spans:
                    spans[-1] = PageSpan(spans[-1].start, length, spans[-1].page)
                page_start = length
            pieces.append(line.text)
            flags.extend(line.bold)
            length += len(line.text)
            prev = line
        spans.append(PageSpan(page_start, length, number))
    return Rebuilt("".join(pieces), flags, spans)


def _usual_width(lines: list[Line]) -> int:
    lengths = sorted(len(line.text) for line in lines)
    if not lengths:
        return _MIN_WIDTH
    return max(_MIN_WIDTH, lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))])


def _separator(prev: Line | None, line: Line, width: int) -> str:
    if prev is None:
        return ""
    if line.blank_before or starts_item(line.text):
        return "\n\n"
    prev_header, header = is_header_line(prev.text), is_header_line(line.text)
    if prev_header and header:
        return "\n"
    if prev_header or header:
        return "\n\n"
    if _all_bold(prev) != _all_bold(line):
        # A bold line next to a regular one is a heading such as "Phòng Nội vụ".
        return "\n\n"
    if line.text[:1].islower():
        return " "
    if prev.text.endswith(_DOCUMENT_END):
        return "\n\n"
    short_prev = len(prev.text) < _ENDS_LINE * width
    ended_prev = prev.text.endswith(_SENTENCE_END)
    if short_prev or (ended_prev and len(prev.text) < _ENDS_PARAGRAPH * width):
        return "\n\n"
    if ended_prev and line.text.endswith(":") and len(line.text) < _ENDS_LINE * width:
        # A short lead-in such as "Nơi nhận:" after a finished sentence.
        return "\n\n"
    return " "


def _all_bold(line: Line) -> bool:
    return any(line.bold) and all(flag or ch.isspace() for ch, flag in zip(line.text, line.bold, strict=True))


def starts_item(text: str) -> bool:
    """Whether a line starts with a numbering, bullet or section label."""
    return _ITEM_START.match(text) is not None


def is_header_line(text: str) -> bool:
    """A short line in capitals, such as "ỦY BAN NHÂN DÂN" or "TL. CHỦ TỊCH"."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(text) <= _MAX_HEADER_LEN and len(letters) >= 2 and all(ch.isupper() for ch in letters)
