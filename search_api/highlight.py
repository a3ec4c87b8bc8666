"""Which parts of a passage match a query, as character spans to highlight.

Matching follows the lexical index (``indexer.analysis``): syllables compared by
``match_key`` or, for a query typed without diacritics, by their folded form;
numbers without leading zeros ("03" = "3"); abbreviations in either direction
("GPMB" <-> "giải phóng mặt bằng", via the abbreviation table and its scopes).

When the query has diacritics, a query word is highlighted where it is written
exactly; only a query word that the passage never writes exactly falls back to
its folded form, and then only next to a strong match ("bão so 3" still
highlights "số" in "bão số 3"), so "thế" does not light up every "thể", nor
"ban" every "bản".

Matched syllables next to each other (separated by spaces or a dash) merge into
one span: "bão số 3" is one span, not three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.vietnamese import fold, match_key, nfc
from indexer.analysis import QueryTerms, abbreviation_key, abbreviations, analyze_query

__all__ = ["highlight_spans", "STOP_WORDS"]

# Function words so frequent that highlighting them alone only adds noise. They
# are highlighted when they sit inside a run of matched words ("ủy ban nhân dân
# của tỉnh"), never on their own. Kept short on purpose: only grammatical words
# that carry no subject matter; question words ("nào", "gì") are included because
# users type them in questions.
STOP_WORDS = frozenset(
    match_key(w)
    for w in (
        "của và các là có được cho trong với những này theo để từ tại về thì mà "
        "một đã sẽ bị do khi đến ra vào như cũng không hoặc nào gì thế"
    ).split()
)
_FOLDED_STOP_WORDS = frozenset(fold(w) for w in STOP_WORDS)

# What may separate two matched words that still form one span.
_JOINABLE_GAP = re.compile(r"[ \t\u00a0]*(?:[-–&/][ \t\u00a0]*)?")
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")


def _term(token: str) -> str:
    # Same number normalisation as the index: "03" -> "3".
    return _LEADING_ZEROS.sub("", token) if token[0] == "0" else token


def _joinable(text: str, start: int, end: int) -> bool:
    return _JOINABLE_GAP.fullmatch(text, start, end) is not None


@dataclass(frozen=True)
class _Prepared:
    q: QueryTerms
    finder: re.Pattern[str] | None  # finds candidate words in a folded passage


@lru_cache(maxsize=256)
def _prepare(query: str) -> _Prepared:
    """Analyse a query once for all the passages of a result page."""
    q = analyze_query(query)
    words = {fold(w) for w in q.exact} | set(q.folded)
    words = {_term(w) for w in words if w}
    if not words:
        return _Prepared(q, None)
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    # Whole words only, numbers with their leading zeros ("03" = "3") and not
    # inside a bigger number ("177.135", "13,4" are one token each).
    finder = re.compile(rf"(?<![\w])(?<!\d[.,])0*(?:{alternatives})(?![\w])(?![.,]\d)")
    return _Prepared(q, finder)


def highlight_spans(query: str, text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping ``(start, end)`` spans of ``nfc(text)`` that match
    ``query``: ``nfc(text)[start:end]`` is the matched passage text. For NFC text
    (what the chunk store holds) the offsets are offsets into ``text`` itself."""
    t = nfc(text) if isinstance(text, str) else ""
    prepared = _prepare(query) if isinstance(query, str) else None
    if not t or prepared is None or prepared.q.is_empty:
        return []
    q = prepared.q

    key = match_key(t)  # length-preserving: offsets in key are offsets in t
    folded_key = fold(key)
    # Candidates: words whose folded form is a query word; found with one regex
    # instead of walking every syllable of the passage.
    candidates = (
        [(m.start(), m.end()) for m in prepared.finder.finditer(folded_key)] if prepared.finder else []
    )
    exact_terms = [_term(key[s:e]) for s, e in candidates]
    folded_terms = [_term(folded_key[s:e]) for s, e in candidates]

    q_exact = set(q.exact)
    if q.has_diacritics:
        present = set(exact_terms)
        fallback = {fold(w) for w in q_exact if w not in present}
    else:
        fallback = set(q.folded)
    # A query made only of function words still highlights them.
    stops, folded_stops = STOP_WORDS, _FOLDED_STOP_WORDS
    if all(w in STOP_WORDS or fold(w) in _FOLDED_STOP_WORDS for w in q.exact):
        stops = folded_stops = frozenset()

    # (start, end, weak) per matched syllable. Weak: a function word, or (for a
    # query with diacritics) a match only after folding. Weak matches are shown
    # only inside a run with a strong one: "bão so 3" lights "số" between "bão"
    # and "3", but "ban" alone must not light up "bản".
    # A bare number ("3" of "3. Nguyên nhân") is weak too, unless the query is only numbers.
    numbers_weak = not all(w.isdigit() for w in q.exact)
    matched: list[tuple[int, int, bool]] = []
    for (s, e), ex, fo in zip(candidates, exact_terms, folded_terms):
        number = numbers_weak and ex.isdigit()
        if q.has_diacritics and ex in q_exact:
            matched.append((s, e, ex in stops or number))
        elif fo in fallback:
            matched.append((s, e, q.has_diacritics or fo in folded_stops or number))

    spans: list[tuple[int, int, bool]] = []  # (start, end, all weak)
    for s, e, weak in matched:
        if spans and _joinable(t, spans[-1][1], s):
            ps, _, pweak = spans[-1]
            spans[-1] = (ps, e, pweak and weak)
        else:
            spans.append((s, e, weak))
    result = [(s, e) for s, e, weak in spans if not weak]

    if q.abbreviations:
        wanted = set(q.abbreviations)
        table = abbreviations()
        for s, e, abbr in (*table.find(t), *table.contract(t)):
            if abbreviation_key(abbr) in wanted:
                result.append((s, e))

    result.sort()
    merged: list[tuple[int, int]] = []
    for s, e in result:
        if merged and (s <= merged[-1][1] or _joinable(t, merged[-1][1], s)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
