"""Helpers shared by the readers: offset-preserving NFC and bold-span bookkeeping."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def nfc_with_map(text: str) -> tuple[str, list[int]]:
    """NFC-normalise ``text`` and return, for every offset 0..len(text), its new offset.

    Readers that track per-character properties (bold runs in PDF and DOCX) need
    to move their offsets through normalisation, which changes the length of
    decomposed Vietnamese text.
    """
    if unicodedata.is_normalized("NFC", text):
        return text, list(range(len(text) + 1))
    pieces: list[str] = []
    mapping: list[int] = []
    new_len = 0
    # Composition only happens inside a starter + following combining marks,
    # so normalising each such cluster alone gives the same result as the whole.
    for cluster in _clusters(text):
        normal = unicodedata.normalize("NFC", cluster)
        # An offset inside a cluster has no exact image; send it to the cluster's end.
        mapping.append(new_len)
        mapping.extend([new_len + len(normal)] * (len(cluster) - 1))
        pieces.append(normal)
        new_len += len(normal)
    mapping.append(new_len)
    return "".join(pieces), mapping


def _clusters(text: str) -> list[str]:
    clusters: list[str] = []
    start = 0
    for i in range(1, len(text)):
        if unicodedata.combining(text[i]) == 0:
            clusters.append(text[start:i])
            start = i
    if text:
        clusters.append(text[start:])
    return clusters


def remap_flags(flags: Sequence[bool], mapping: list[int], new_len: int) -> list[bool]:
    """Carry per-character flags through an offset map from ``nfc_with_map``."""
    new_flags = [False] * new_len
    for old, flag in enumerate(flags):
        # Interior characters of a composed cluster map to an empty range: the
        # cluster takes the flag of its first character.
        if flag and mapping[old] < mapping[old + 1]:
            new_flags[mapping[old]] = True
    return new_flags


def spans_from_flags(text: str, flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Turn per-character bold flags into ``(start, end)`` spans.

    Runs separated only by spaces or a single line break are merged, because a
    bold block such as "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG" is one unit for the
    parser; a blank line (paragraph break) always ends a span.
    """
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    for i, flag in enumerate(flags):
        if flag and run_start is None:
            run_start = i
        elif not flag and run_start is not None:
            runs.append((run_start, i))
            run_start = None
    if run_start is not None:
        runs.append((run_start, len(flags)))
    return merge_spans(text, runs)


def merge_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Trim surrounding whitespace, drop empty spans, merge overlapping or whitespace-adjacent ones."""
    trimmed = sorted(s for s in (trim_span(text, a, b) for a, b in spans) if s[0] < s[1])
    merged: list[tuple[int, int]] = []
    for start, end in trimmed:
        if merged:
            prev_start, prev_end = merged[-1]
            gap = text[prev_end:start]
            if start <= prev_end or (gap.isspace() and "\n\n" not in gap):
                merged[-1] = (prev_start, max(prev_end, end))
                continue
        merged.append((start, end))
    return merged


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
