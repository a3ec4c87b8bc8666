"""Split a document's text into non-empty lines that remember where they are.

The parser reasons line by line (in these documents a paragraph is a line, and
header and signature fields are lines), but everything it reports is a span of
the original text, so each line keeps its offsets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    index: int  # position among the non-empty lines
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str  # text[start:end]
    blank_before: bool  # a blank line (or the start of the text) precedes it


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    end = len(text) if end is None else end
    out: list[Line] = []
    pos = start
    blank = True
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        raw = text[pos:stop]
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            s = pos + lead
            out.append(Line(len(out), s, s + len(stripped), stripped, blank))
            blank = False
        else:
            blank = True
        pos = stop + 1
    return out
