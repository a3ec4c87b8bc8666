"""Remove Markdown emphasis and heading markers, keeping where bold text and headings were.

The rules follow CommonMark's delimiter runs (left/right flanking, no
intraword ``_``, the "rule of 3") closely enough for documents converted
from Word, plus one leniency seen in those conversions: a line starting with
``*** text**`` is a ``*`` bullet followed by a bold run that begins with a
space, and ``** text**`` at a line start is likewise bold. A backslash before
``*``, ``_`` or ``#`` is an escape: it is removed and the character kept.
Code spans, links and setext headings are not interpreted.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from .spans import merge_spans

_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_DELIMITER_RUN = re.compile(r"\*+|_+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ESCAPE = re.compile(r"\\([*_#])")


@dataclass(frozen=True)
class Markup:
    text: str
    bold: list[tuple[int, int]]
    headings: list[tuple[int, int, int]]  # (start, end, level)


@dataclass
class _Run:
    char: str
    start: int
    length: int  # original length, for the rule of 3
    can_open: bool
    can_close: bool
    paragraph: int
    left: int = 0  # characters consumed from the left (as a closer)
    right: int = 0  # characters consumed from the right (as an opener)

    @property
    def remaining(self) -> int:
        return self.length - self.left - self.right


def strip_markup(text: str, markdown_headings: bool) -> Markup:
    """Strip emphasis (and, for Markdown files, ``#`` heading markers) from ``text``."""
    deletions: list[tuple[int, int]] = []
    raw_headings = _find_headings(text, deletions) if markdown_headings else []
    literal = _find_escapes(text, deletions)
    raw_bold = _match_emphasis(text, _delimiter_runs(text, literal), deletions)
    new_text, to_new = _apply_deletions(text, deletions)
    bold = merge_spans(new_text, [(to_new(a), to_new(b)) for a, b in raw_bold])
    headings = [(to_new(a), to_new(b), level) for a, b, level in raw_headings]
    return Markup(new_text, bold, headings)


def _find_headings(text: str, deletions: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    headings = []
    for m in _HEADING.finditer(text):
        deletions.append((m.start(), m.start(2)))
        deletions.append((m.end(2), m.end()))
        if m.group(2):
            headings.append((m.start(2), m.end(2), len(m.group(1))))
    return headings


def _find_escapes(text: str, deletions: list[tuple[int, int]]) -> set[int]:
    literal = set()
    for m in _ESCAPE.finditer(text):
        deletions.append((m.start(), m.start() + 1))
        literal.add(m.start(1))
    return literal


def _delimiter_runs(text: str, literal: set[int]) -> list[_Run]:
    paragraph_starts = [m.end() for m in _BLANK_LINE.finditer(text)]
    runs = []
    for m in _DELIMITER_RUN.finditer(text):
        start, end = m.start(), m.end()
        if start in literal:
            start += 1  # an escaped first character is plain text
            if start == end:
                continue
        char = text[start]
        before = text[start - 1] if start > 0 else "\n"
        after = text[end] if end < len(text) else "\n"
        paragraph = bisect_right(paragraph_starts, start)
        if char == "*" and after.isspace() and _at_line_start(text, start):
            # "* item" is a bullet; "*** text**" a bullet then bold; "** text**" bold.
            if end - start in (2, 3):
                runs.append(_Run("*", end - 2, 2, True, False, paragraph))
            continue
        can_open, can_close = _flanking(char, before, after)
        if can_open or can_close:
            runs.append(_Run(char, start, end - start, can_open, can_close, paragraph))
    return runs


def _at_line_start(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return text[line_start:pos].strip(" \t") == ""


def _flanking(char: str, before: str, after: str) -> tuple[bool, bool]:
    left = not after.isspace() and (not _is_punct(after) or before.isspace() or _is_punct(before))
    right = not before.isspace() and (not _is_punct(before) or after.isspace() or _is_punct(after))
    if char == "_":
        # No intraword underscores: "số_3", "ten_bien" stay as they are.
        return left and (not right or _is_punct(before)), right and (not left or _is_punct(after))
    return left, right


def _is_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _match_emphasis(text: str, runs: list[_Run], deletions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pair delimiter runs; record the delimiters to delete and return the bold content spans."""
    bold: list[tuple[int, int]] = []
    for ci, closer in enumerate(runs):
        if not closer.can_close:
            continue
        while closer.remaining > 0:
            oi = _find_opener(runs, ci)
            if oi is None:
                break
            opener = runs[oi]
            use = 2 if opener.remaining >= 2 and closer.remaining >= 2 else 1
            open_end = opener.start + opener.length - opener.right
            close_start = closer.start + closer.left
            deletions.append((open_end - use, open_end))
            deletions.append((close_start, close_start + use))
            if use == 2:
                bold.append((open_end, close_start))
            opener.right += use
            closer.left += use
            # Delimiters inside a matched pair can no longer pair with anything outside it.
            for inner in runs[oi + 1 : ci]:
                inner.right = inner.length - inner.left
    return bold


def _find_opener(runs: list[_Run], ci: int) -> int | None:
    closer = runs[ci]
    for oi in range(ci - 1, -1, -1):
        opener = runs[oi]
        if opener.paragraph != closer.paragraph:
            return None
        if opener.char != closer.char or not opener.can_open or opener.remaining == 0:
            continue
        both = opener.can_close or closer.can_open
        if (
            both
            and (opener.length + closer.length) % 3 == 0
            and not (opener.length % 3 == 0 and closer.length % 3 == 0)
        ):
            continue
        return oi
    return None


def _apply_deletions(text: str, deletions: list[tuple[int, int]]) -> tuple[str, Callable[[int], int]]:
    """Remove the ranges; return the new text and a function mapping old offsets to new ones."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(d for d in deletions if d[0] < d[1]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    starts = [a for a, _ in merged]
    removed_before: list[int] = []
    removed = 0
    for a, b in merged:
        removed_before.append(removed)
        removed += b - a

    def to_new(offset: int) -> int:
        i = bisect_right(starts, offset) - 1
        if i < 0:
            return offset
        a, b = merged[i]
        # An offset inside a deleted range collapses to where the range was.
        return a - removed_before[i] if offset < b else offset - removed_before[i] - (b - a)

    pieces, pos = [], 0
    for a, b in merged:
        pieces.append(text[pos:a])
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces), to_new
