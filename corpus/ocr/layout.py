"""Words with their boxes -> the page's lines in reading order.

Tesseract reads a row of the two-column header as one line ("ỦY BAN NHÂN DÂN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), which mixes the issuing body with the
motto and the number with the date. Here a line is cut where a gap between two
words is far wider than a word space; rows cut in two make a two-column region
(the header, or "Nơi nhận" beside the signature), which is read left column
first, then right column, each top to bottom, the way a typed document gives
its header to the parser:

    ỦY BAN NHÂN DÂN / HUYỆN SÔNG MÂY / Số: 812/UBND-NN / V/v …
    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc / Sông Mây, ngày …

A line under a region that sits in one column and follows closely (the wrapped
"V/v" subject, the last recipients) belongs to it; a line across the gutter, or
after a blank, ends it. A "V/v" subject wrapped in its narrow column is joined
into one line, as it is typed. A row cut in three or more (a table) is read
across. Blank lines are kept where the page has a wider gap than between the
lines of a paragraph.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field

# A gap wider than this many line heights between two words separates columns.
COLUMN_GAP = 1.8
# Lines whose baselines are further apart than this many times the page's usual
# line pitch have a blank line between them. Baselines, not boxes: a speck on a
# line stretches its box, never its baseline.
BLANK_PITCH = 1.3
# Two segments share a row when they overlap vertically by this share of the smaller.
ROW_OVERLAP = 0.5
# A "word" smaller than this share of the usual word height is a speck of dust
# or toner read as "'", "." or "l"; dashes are small and real, and kept.
SPECK = 0.35
DASHES = set("-–—")
LEADING_SPECKS = ".,:;'`_~^ˆ˜‘’"
# A "word" of one or two of these alone is specks, not punctuation: Vietnamese
# punctuation sticks to the word before it.
SPECKS = set(LEADING_SPECKS + "\"“”„")
SUBJECT_LINE = re.compile(r"^V/v\b", re.IGNORECASE)

Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels)


@dataclass
class Word:
    text: str
    box: Box
    confidence: float  # 0-100
    line: int  # Tesseract's text line
    baseline: float | None = None  # y of the line's baseline under the word


@dataclass
class OcrLine:
    text: str
    box: Box
    confidence: float
    blank_before: bool = False
    column: str | None = None  # "left" or "right" inside a two-column region


@dataclass
class _Segment:
    words: list[Word]
    box: Box = field(init=False)

    def __post_init__(self) -> None:
        xs0, ys0, xs1, ys1 = zip(*(w.box for w in self.words))
        self.box = (min(xs0), min(ys0), max(xs1), max(ys1))

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def baseline(self) -> float:
        known = [w.baseline for w in self.words if w.baseline is not None]
        return statistics.median(known) if known else float(self.box[3])

    def line(self) -> OcrLine:
        text = " ".join(w.text for w in self.words)
        chars = sum(len(w.text) for w in self.words)
        conf = sum(w.confidence * len(w.text) for w in self.words) / max(1, chars)
        return OcrLine(text, self.box, conf)


def _segments(words: list[Word]) -> list[_Segment]:
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    out: list[_Segment] = []
    for line_words in by_line.values():
        line_words.sort(key=lambda w: w.box[0])
        height = max(w.box[3] for w in line_words) - min(w.box[1] for w in line_words)
        current = [line_words[0]]
        for prev, w in zip(line_words, line_words[1:]):
            if w.box[0] - prev.box[2] > COLUMN_GAP * max(height, 1):
                out.append(_Segment(current))
                current = []
            current.append(w)
        out.append(_Segment(current))
    return out


def _overlap(a: Box, b: Box) -> float:
    inter = min(a[3], b[3]) - max(a[1], b[1])
    return inter / max(1, min(a[3] - a[1], b[3] - b[1]))


def _rows(segments: list[_Segment]) -> list[list[_Segment]]:
    rows: list[list[_Segment]] = []
    for seg in sorted(segments, key=lambda s: (s.box[1] + s.box[3]) / 2):
        for row in rows[-3:]:
            if all(_overlap(seg.box, o.box) >= ROW_OVERLAP for o in row) and not any(
                seg.box[0] < o.box[2] and o.box[0] < seg.box[2] for o in row
            ):
                row.append(seg)
                break
        else:
            rows.append([seg])
    for row in rows:
        row.sort(key=lambda s: s.box[0])
    rows.sort(key=lambda r: min(s.box[1] for s in r))
    return rows


class _Region:
    """Two columns side by side, split at ``gutter`` (x)."""

    def __init__(self, left: _Segment, right: _Segment):
        self.lo, self.hi = left.box[2], right.box[0]
        self.left = [left]
        self.right = [right]

    @property
    def bottom(self) -> float:
        """The lowest baseline in the region."""
        return max(s.baseline for s in self.left + self.right)

    @property
    def gutter(self) -> float:
        return (self.lo + self.hi) / 2

    def take_pair(self, left: _Segment, right: _Segment) -> bool:
        # Each stays on its side: the left one ends before the right column begins,
        # the right one begins after the left column ends.
        if not (left.box[2] < self.hi and right.box[0] > self.lo and left.box[2] < right.box[0]):
            return False
        self.lo, self.hi = max(self.lo, left.box[2]), min(self.hi, right.box[0])
        if self.lo >= self.hi:  # columns overlap from row to row: keep the mid-gap
            self.lo = self.hi = (left.box[2] + right.box[0]) / 2
        self.left.append(left)
        self.right.append(right)
        return True

    def take_single(self, seg: _Segment, pitch: float) -> bool:
        # Left: it ends before the right column begins; right: it begins after the
        # left column's lines end. A line in between goes by its side of the gutter.
        fits_left = seg.box[2] < self.hi
        fits_right = seg.box[0] > self.lo
        if fits_left and fits_right:
            fits_left = (seg.box[0] + seg.box[2]) / 2 < self.gutter
        elif not (fits_left or fits_right):
            return False
        column = self.left if fits_left else self.right
        # Measured from the region's lowest line, not the column's: the signer's
        # name sits far under the title, while the recipients go on beside it.
        if seg.baseline - self.bottom > BLANK_PITCH * pitch:
            return False
        column.append(seg)
        return True

    def lines(self) -> list[OcrLine]:
        out: list[OcrLine] = []
        for name, column in (("left", self.left), ("right", self.right)):
            lines = [s.line() for s in column]
            for k, line in enumerate(lines):
                line.column = name
                line.blank_before = k == 0
            out.extend(_join_subject(lines))
        return out


def _join_subject(lines: list[OcrLine]) -> list[OcrLine]:
    """A "V/v" subject wrapped over the lines of its column, as one line."""
    out: list[OcrLine] = []
    joining = False
    for line in lines:
        if joining and not line.blank_before:
            prev = out[-1]
            box = (min(prev.box[0], line.box[0]), prev.box[1], max(prev.box[2], line.box[2]), line.box[3])
            n, m = len(prev.text), len(line.text)
            conf = (prev.confidence * n + line.confidence * m) / max(1, n + m)
            out[-1] = OcrLine(f"{prev.text} {line.text}", box, conf, prev.blank_before, prev.column)
            continue
        joining = bool(SUBJECT_LINE.match(line.text))
        out.append(line)
    return out


def _strip_leading_speck(text: str) -> str:
    """".Số:" -> "Số:": a speck before a word is read as punctuation it cannot begin with."""
    stripped = text.lstrip(LEADING_SPECKS)
    return stripped if stripped[:1].isalnum() else text


def _drop_specks(words: list[Word]) -> list[Word]:
    heights = [w.box[3] - w.box[1] for w in words if any(c.isalnum() for c in w.text)]
    if not heights:
        return words
    least = SPECK * statistics.median(heights)
    return [w for w in words
            if set(w.text) <= DASHES
            or max(w.box[2] - w.box[0], w.box[3] - w.box[1]) >= least and not (len(w.text) <= 2 and set(w.text) <= SPECKS)]


def arrange(words: list[Word]) -> list[OcrLine]:
    """The page's lines in reading order (see the module's docstring)."""
    words = [Word(_strip_leading_speck(unicodedata.normalize("NFC", w.text).strip()), w.box, w.confidence, w.line, w.baseline)
             for w in words]
    words = _drop_specks([w for w in words if w.text])
    if not words:
        return []
    segments = _segments(words)
    rows = _rows(segments)
    pitch = _pitch(rows)
    out: list[OcrLine] = []
    region: _Region | None = None
    last_baseline: float | None = None

    def close() -> None:
        nonlocal region, last_baseline
        if region is not None:
            out.extend(region.lines())
            last_baseline = region.bottom
            region = None

    for row in rows:
        if region is not None:
            if len(row) == 2 and region.take_pair(*row):
                continue
            if len(row) == 1 and region.take_single(row[0], pitch):
                continue
            close()
        if len(row) == 2:
            region = _Region(*row)
            continue
        segment = row[0] if len(row) == 1 else _Segment([w for s in row for w in s.words])
        line = segment.line()
        line.blank_before = last_baseline is None or segment.baseline - last_baseline > BLANK_PITCH * pitch
        out.append(line)
        last_baseline = segment.baseline
    close()
    if out:
        out[0].blank_before = False
    return out


def _pitch(rows: list[list[_Segment]]) -> float:
    """The usual distance between the baselines of two lines in a row of text."""
    baselines = [statistics.median(s.baseline for s in row) for row in rows]
    steps = [b - a for a, b in zip(baselines, baselines[1:]) if b > a]
    if not steps:
        return float(max(1, statistics.median(s.height for row in rows for s in row)))
    return statistics.median(steps)


def page_text(lines: list[OcrLine]) -> str:
    """The lines as text: one a line, a blank line where the page has a gap."""
    parts: list[str] = []
    for line in lines:
        if line.blank_before and parts:
            parts.append("")
        parts.append(line.text)
    return "\n".join(parts)
