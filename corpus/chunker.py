"""Section-aware passages bounded by the embedding model's token budget.

Each passage stays inside one section, so its heading path says exactly where
it sits. A section's text is packed paragraph by paragraph up to
``max_tokens``; a paragraph longer than that is split at sentence ends, then at
semicolons and commas, and as a last resort between words -- never inside a
word. A heading with no text of its own is not a passage: it is carried into
the next one (and it is in that passage's heading path anyway).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from corpus.lines import split_lines
from corpus.models import Chunk, ParsedDocument, Section
from corpus.structure import heading_path
from corpus.units import names_units

TokenCounter = Callable[[str], int]

# Where a long paragraph may be cut, strongest first. Each pattern matches the
# gap between two pieces; the cut is placed after the punctuation.
SPLIT_POINTS = [
    re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ0-9])"),
    re.compile(r"(?<=;)\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+"),
]


@dataclass(frozen=True)
class ChunkSettings:
    max_tokens: int = 320  # passage text; the heading path and prefix go on top, within 512
    min_tokens: int = 40  # a smaller tail is merged into the passage before it when it fits
    merge_limit: int = 400
    merge_below: int = 100  # a passage smaller than this is joined to a sibling when both fit


@dataclass
class _Piece:
    start: int
    end: int
    tokens: int


def approx_tokens(text: str) -> int:
    """A rough stand-in for the XLM-R tokenizer (about 1.4 pieces a Vietnamese
    syllable); for tests and for callers that have no tokenizer at hand."""
    return int(len(text.split()) * 1.4) + 1


def _segments(doc: ParsedDocument) -> list[tuple[int | None, int, int]]:
    """(section id or None for the preamble, start, end): the body cut so that each
    piece of text belongs to exactly one section. Footnotes are their own segments."""
    start, end = doc.body_span
    bounds: list[tuple[int, int, int | None]] = []  # (start, end, section)
    for sec in doc.sections:
        bounds.append((sec.span[0], sec.span[1], sec.id))
    # Walk positions: the owner of a character is the deepest section containing it,
    # or a footnote when it lies in one.
    cuts = sorted({start, end, *(b[0] for b in bounds), *(b[1] for b in bounds)})
    cuts = [c for c in cuts if start <= c <= end]
    out: list[tuple[int | None, int, int]] = []
    for a, b in zip(cuts, cuts[1:]):
        if a == b:
            continue
        owner = _owner(doc.sections, a)
        if out and out[-1][0] == owner and out[-1][2] == a:
            out[-1] = (owner, out[-1][1], b)
        else:
            out.append((owner, a, b))
    return out


def _owner(sections: list[Section], pos: int) -> int | None:
    best: Section | None = None
    for sec in sections:
        if sec.span[0] <= pos < sec.span[1]:
            if sec.kind == "footnote":
                return sec.id
            if best is None or sec.level > best.level:
                best = sec
    return best.id if best else None


def _split_long(text: str, start: int, end: int, count: TokenCounter, max_tokens: int, level: int = 0) -> list[_Piece]:
    """Cut ``text[start:end]`` into pieces of at most ``max_tokens`` at the strongest split points."""
    n = count(text[start:end])
    if n <= max_tokens or level >= len(SPLIT_POINTS):
        return [_Piece(start, end, n)]
    cut_at = [m.end() + start for m in SPLIT_POINTS[level].finditer(text[start:end])]
    if not cut_at:
        return _split_long(text, start, end, count, max_tokens, level + 1)
    pieces: list[_Piece] = []
    for a, b in zip([start, *cut_at], [*cut_at, end]):
        seg_end = b
        # Pieces end before the white space that separated them.
        while seg_end > a and text[seg_end - 1].isspace():
            seg_end -= 1
        if seg_end > a:
            pieces.extend(_split_long(text, a, seg_end, count, max_tokens, level + 1))
    return _pack(pieces, count, text, max_tokens)


def _pack(pieces: list[_Piece], count: TokenCounter, text: str, max_tokens: int) -> list[_Piece]:
    """Greedily join neighbouring pieces while the joined text fits the budget."""
    out: list[_Piece] = []
    for p in pieces:
        if out and out[-1].tokens + p.tokens <= max_tokens:
            joined = _Piece(out[-1].start, p.end, count(text[out[-1].start:p.end]))
            if joined.tokens <= max_tokens:
                out[-1] = joined
                continue
        out.append(p)
    return out


def chunk_document(
    doc: ParsedDocument,
    count_tokens: TokenCounter = approx_tokens,
    settings: ChunkSettings = ChunkSettings(),
) -> list[Chunk]:
    text = doc.raw.text
    headings = {s.id: s for s in doc.sections}
    carried: tuple[int, int] | None = None  # (start, section) of a heading waiting for its text
    drafts: list[tuple[int | None, list[_Piece]]] = []

    closing = doc.closing_span
    for owner, a, b in _segments(doc):
        lines = split_lines(text, a, b)
        if closing:
            lines = [ln for ln in lines if not closing[0] <= ln.start < closing[1]]
        if not lines:
            continue
        sec = headings.get(owner) if owner is not None else None
        body_lines = lines
        if (
            sec is not None
            and sec.kind != "footnote"
            and sec.title_only
            and lines[0].start == sec.heading_span[0]
            and lines[-1].end <= sec.heading_span[1]
        ):
            if carried is None:
                carried = (lines[0].start, sec.id)
            continue
        paragraphs: list[_Piece] = []
        for ln in body_lines:
            paragraphs.extend(_split_long(text, ln.start, ln.end, count_tokens, settings.max_tokens))
        if carried is not None:
            start, carried_id = carried
            if _within(doc.sections, owner, carried_id) or not drafts:
                paragraphs[0] = _Piece(start, paragraphs[0].end, count_tokens(text[start:paragraphs[0].end]))
            else:
                # An empty section: its heading closes the passage before it instead of
                # opening one it does not belong to.
                last = drafts[-1][1][-1]
                end = headings[carried_id].heading_span[1]
                drafts[-1][1][-1] = _Piece(last.start, end, count_tokens(text[last.start:end]))
            carried = None
        packed = _pack(paragraphs, count_tokens, text, settings.max_tokens)
        if len(packed) > 1 and packed[-1].tokens < settings.min_tokens:
            tail = packed.pop()
            merged = _Piece(packed[-1].start, tail.end, count_tokens(text[packed[-1].start:tail.end]))
            if merged.tokens <= settings.merge_limit:
                packed[-1] = merged
            else:
                packed.append(tail)
        drafts.append((owner, packed))

    if carried is not None:
        # A heading at the very end with nothing under it: attach it to the last passage.
        start, carried_id = carried
        end = headings[carried_id].heading_span[1]
        if drafts:
            last = drafts[-1][1][-1]
            drafts[-1][1][-1] = _Piece(last.start, end, count_tokens(text[last.start:end]))
        else:
            drafts.append((carried_id, [_Piece(start, end, count_tokens(text[start:end]))]))

    flat = _merge_small(
        [(owner, p) for owner, packed in drafts for p in packed], doc.sections, text, count_tokens, settings
    )
    chunks: list[Chunk] = []
    for owner, p in flat:
        path = heading_path(doc.sections, owner)
        body = text[p.start:p.end]
        chunks.append(
            Chunk(
                doc_id=doc.raw.doc_id,
                index=len(chunks),
                heading_path=path,
                text=body,
                char_span=(p.start, p.end),
                pages=doc.raw.pages_for(p.start, p.end),
                section_id=owner,
                n_tokens=p.tokens,
                content_hash=content_hash(path, body),
            )
        )
    return chunks


def _ancestors(sections: list[Section], section_id: int | None) -> list[int]:
    chain: list[int] = []
    while section_id is not None:
        chain.append(section_id)
        section_id = sections[section_id].parent
    return chain[::-1]


def _merge_small(
    items: list[tuple[int | None, _Piece]],
    sections: list[Section],
    text: str,
    count: TokenCounter,
    settings: ChunkSettings,
) -> list[tuple[int | None, _Piece]]:
    """Join a small passage with its neighbour when they are siblings (or a
    section's opening text and its first subsection) and the two fit the budget.
    A legal article's one-sentence clauses make passages too small to stand
    alone; the joined passage's heading path is the part the two have in common."""
    # Unit headings and lead-in items say who must do what: they keep their own passages,
    # as do numbered headings that are a unit's name.
    keep_apart = {"unit", "item", "footnote"}
    apart_ids = {i for i, s in enumerate(sections) if s.kind in keep_apart or names_units(s)}
    out: list[tuple[int | None, _Piece]] = []
    for owner, piece in items:
        if out:
            prev_owner, prev = out[-1]
            apart = prev_owner in apart_ids or owner in apart_ids
            if not apart and (prev.tokens < settings.merge_below or piece.tokens < settings.merge_below):
                a, b = _ancestors(sections, prev_owner), _ancestors(sections, owner)
                common = 0
                while common < min(len(a), len(b)) and a[common] == b[common]:
                    common += 1
                if common >= max(len(a), len(b)) - 1 and not text[prev.end:piece.start].strip():
                    joined = _Piece(prev.start, piece.end, count(text[prev.start:piece.end]))
                    if joined.tokens <= settings.max_tokens:
                        out[-1] = (a[common - 1] if common else None, joined)
                        continue
        out.append((owner, piece))
    return out


def _within(sections: list[Section], section_id: int | None, ancestor: int) -> bool:
    while section_id is not None:
        if section_id == ancestor:
            return True
        section_id = sections[section_id].parent
    return False


def content_hash(path: Iterable[str], text: str) -> str:
    h = hashlib.sha256()
    h.update("\x1f".join(path).encode("utf-8"))
    h.update(b"\x1e")
    h.update(text.encode("utf-8"))
    return h.hexdigest()[:32]


def embedding_text(chunk: Chunk, title: str | None = None) -> str:
    """What the model sees for a passage: where it sits, then what it says."""
    context = " › ".join([*([title] if title else []), *chunk.heading_path])
    return f"{context}\n{chunk.text}" if context else chunk.text
