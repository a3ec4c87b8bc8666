"""Text -> index terms for the lexical (tantivy) index, and the same for queries.

Vietnamese has no word segmentation worth its cost here, so terms are syllables
(``corpus.vietnamese.syllables``) and adjacent-syllable bigrams, which catch most
multi-syllable words ("giải phóng mặt bằng") and reward adjacency. Every term
exists in two spellings, kept in separate index fields so they can be weighted:

* **exact**: ``match_key`` (lower case, diacritics kept, one tone placement);
* **folded**: ``fold`` of the exact term (no diacritics, đ -> d), for queries
  typed without diacritics ("bao so 3").

Numbers lose their leading zeros ("bão số 03" and "bão số 3" share "3"; dates
"01/01/2019" and "1/1/2019" agree).

Abbreviations from ``corpus/data/abbreviations.tsv`` work both ways at index
time: a passage with "GPMB" also receives the terms of "giải phóng mặt bằng", a
passage with "giải phóng mặt bằng" also receives the term "gpmb", and both get
the key of the abbreviation in a field of their own. Scopes are those of
``Abbreviations.find``/``contract``: ``number_only`` codes are never expanded,
``upper_only`` ones only when written exactly.

Index terms are handed to tantivy as one space-separated string per field and
split there by its ``whitespace`` tokenizer; a bigram is one term, its two
syllables joined by ``BIGRAM_JOINER`` (a character no syllable contains).
Everything here is pure and works on strings as a whole where it can (one
``fold`` call per field rather than one per term): it runs over the whole corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from corpus.vietnamese import (
    Abbreviations,
    bigrams,
    fold,
    has_diacritics,
    load_abbreviations,
    match_key,
    nfc,
    syllables,
)

__all__ = [
    "BIGRAM_JOINER",
    "MAX_QUERY_TERMS",
    "PassageTerms",
    "QueryTerms",
    "abbreviations",
    "analysed_part",
    "analyze_passage",
    "analyze_query",
    "normalize_terms",
    "abbreviation_key",
]

BIGRAM_JOINER = "_"  # syllables are runs of [^\W_], so "_" can never occur inside one

# A query is a few words; a pasted page must not turn into thousands of clauses.
# Terms beyond this many distinct unigrams (and bigrams) are dropped, in order.
MAX_QUERY_TERMS = 64

# How much of a query is read at all. A question is a few dozen words: of the 520
# alqac2022 questions, half have up to 24 syllables and 99% up to 57, and all but
# four are read whole (those four, of 65 to 91 syllables, lose their tail, which
# moves none of their relevant articles in any mode). Past these bounds a query is
# a pasted page or a run of marks, whose every character costs each stage
# (abbreviation forms, the restorer, the highlighter, the embedding model: ~0.2 ms
# a token, and a stray combining mark or an emoji is a token): only its beginning
# is read. 64 words, like the 64 distinct terms of each kind above.
MAX_QUERY_WORDS = 64
MAX_QUERY_CHARS = 320
MAX_WORD_CHARS = 32
MAX_QUERY_MARKS = 32  # characters that are neither letters, digits nor white space
_MARK = re.compile(r"[^\w\s]|_")

# Leading zeros of a number term, in a space-joined term string: "03" -> "3",
# "000" -> "0"; "0,5" keeps its zero (a decimal), "QH13" is not touched.
_LEADING_ZEROS = re.compile(r"(?<![^ ])0+(?=\d)")


@lru_cache(maxsize=1)
def abbreviations() -> Abbreviations:
    """The packaged abbreviation table, loaded once (compiling it takes a while)."""
    return load_abbreviations()


def normalize_terms(text: str) -> list[str]:
    """Exact unigram terms of ``text``: ``match_key`` syllables, numbers without
    leading zeros. "Bão số 03, UBND" -> ["bão", "số", "3", "ubnd"]."""
    joined = _join_syllables(match_key(text))
    return joined.split(" ") if joined else []


def _join_syllables(key: str) -> str:
    joined = " ".join([t for _, _, t in syllables(key)])
    if "0" in joined:
        joined = _LEADING_ZEROS.sub("", joined)
    return joined


def _bigram_string(terms: list[str]) -> str:
    # core ``bigrams`` joins with a space, which is the separator of the field
    # string: join pairs with a byte no term holds, then swap the two.
    pairs = bigrams(terms)
    if not pairs:
        return ""
    return "\x1f".join(pairs).replace(" ", BIGRAM_JOINER).replace("\x1f", " ")


# --------------------------------------------------------------------------
# Abbreviations: one canonical key per meaning


@dataclass(frozen=True)
class _AbbrInfo:
    key: str  # term in the abbreviation field
    # Exact terms of the abbreviation itself ("gpmb"; "gd", "đt"), added where the
    # long form is written. Empty for upper_only ones: their letters are ordinary
    # syllables ("tu", "hu"), so only the abbreviation field may carry them.
    short_terms: tuple[str, ...]
    long_terms: tuple[tuple[str, ...], ...]  # exact terms of each expansion


@lru_cache(maxsize=1)
def _abbr_table() -> dict[str, _AbbrInfo]:
    """Info per abbreviation of the table, number_only ones left out.

    Abbreviations that share their usual expansion share one key (TƯ and TW are
    both "Trung ương", LĐTBXH and LĐ-TB&XH are one body): the key is the first
    such abbreviation listed, as ``match_key`` ("tw", "lđ-tb&xh"). The key holds
    no space, so it is a single term of the whitespace-tokenised field.
    """
    table = abbreviations()
    out: dict[str, _AbbrInfo] = {}
    for e in table.entries:
        if e.scope == "number_only":
            continue
        same = [a for a in table.abbreviations_for(e.expansions[0])
                if (g := table.get(a)) is not None and g.scope != "number_only"]
        canonical = same[0] if same else e.abbr
        out[e.abbr] = _AbbrInfo(
            key=re.sub(r"\s+", "", match_key(canonical)),
            short_terms=() if e.scope == "upper_only" else tuple(normalize_terms(e.abbr)),
            long_terms=tuple(tuple(normalize_terms(x)) for x in e.expansions),
        )
    return out


def abbreviation_key(abbr: str) -> str | None:
    """Abbreviation-field term for an abbreviation as listed in the table
    ("TƯ" -> "tw"), None for unknown or ``number_only`` ones."""
    info = _abbr_table().get(abbr)
    return info.key if info else None


def _abbreviation_hits(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """Abbreviation keys present in ``text`` (NFC) in either form, and the term
    lists of the other form of each occurrence, to be added to the passage."""
    table = abbreviations()
    info = _abbr_table()
    keys: list[str] = []
    extra: list[tuple[str, ...]] = []
    for _, _, abbr in table.find(text):
        a = info.get(abbr)
        if a is None:  # number_only: a code inside a document number, never expanded
            continue
        keys.append(a.key)
        extra.extend(a.long_terms)
    for _, _, abbr in table.contract(text):
        a = info.get(abbr)
        if a is None:
            continue
        keys.append(a.key)
        if a.short_terms:
            extra.append(a.short_terms)
    return keys, extra


# --------------------------------------------------------------------------
# Passages


@dataclass(frozen=True)
class PassageTerms:
    """Index terms of one text, each field a space-separated term string."""

    exact: str
    folded: str
    exact_bigrams: str
    folded_bigrams: str
    abbreviations: str  # keys of abbreviations present in either form


def analyze_passage(text: str, expand_abbreviations: bool = True) -> PassageTerms:
    """Index terms of a passage (any Unicode form).

    Terms added for abbreviations come after the text's own terms, and bigrams
    are formed inside each added phrase only, so no false adjacency is created.
    """
    text = nfc(text)
    exact = _join_syllables(match_key(text))
    exact_bi = _bigram_string(exact.split(" ")) if exact else ""
    keys: list[str] = []
    if expand_abbreviations and exact:
        keys, extra = _abbreviation_hits(text)
        if extra:
            uni = [exact]
            bi = [exact_bi] if exact_bi else []
            for terms in extra:
                uni.append(" ".join(terms))
                b = _bigram_string(list(terms))
                if b:
                    bi.append(b)
            exact = " ".join(uni)
            exact_bi = " ".join(bi)
    # fold is length- and space-preserving, so folding whole strings folds each term.
    return PassageTerms(
        exact=exact,
        folded=fold(exact),
        exact_bigrams=exact_bi,
        folded_bigrams=fold(exact_bi),
        abbreviations=" ".join(keys),
    )


# --------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class QueryTerms:
    """What a query asks for, as index terms.

    ``exact``/``folded`` and their bigrams come from the query as typed;
    ``alt_*`` hold the terms that only its abbreviation forms add ("GPMB" ->
    "giải", "phóng", ...; "giai phong mat bang" -> "gpmb"), so they can be
    weighted apart. ``abbreviations`` are abbreviation-field keys, ``forms`` the
    query and its rewritings (``Abbreviations.expand_query``), original first.
    All tuples are in query order without duplicates.
    """

    text: str  # the query, NFC
    has_diacritics: bool
    exact: tuple[str, ...]
    folded: tuple[str, ...]
    exact_bigrams: tuple[str, ...]
    folded_bigrams: tuple[str, ...]
    alt_exact: tuple[str, ...]
    alt_folded: tuple[str, ...]
    alt_exact_bigrams: tuple[str, ...]
    alt_folded_bigrams: tuple[str, ...]
    abbreviations: tuple[str, ...]
    forms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.exact or self.alt_exact or self.abbreviations)


def _unique(items: Iterable[str], limit: int = MAX_QUERY_TERMS, skip: Iterable[str] = ()) -> tuple[str, ...]:
    seen = set(skip)
    out: list[str] = []
    for t in items:
        if t and t not in seen:
            seen.add(t)
            out.append(t)
            if len(out) >= limit:
                break
    return tuple(out)


def _strip_unsafe(text: str) -> str:
    # Lone surrogates cannot be encoded for tantivy; control characters are
    # never part of a term. Both become spaces (token breaks).
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else " " for c in text)


def analysed_part(query: str) -> str:
    """The beginning of ``query`` (NFC) that query analysis reads: at most
    ``MAX_QUERY_WORDS`` words, ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_MARKS``
    marks, and no word past its ``MAX_WORD_CHARS``-th character. ``query`` itself
    when it keeps within them, as ordinary queries do."""
    text = query[:MAX_QUERY_CHARS]
    words = syllables(text)
    # The first place where a bound is passed, if any; the text ends there.
    cuts = [len(text)]
    if len(words) > MAX_QUERY_WORDS:
        cuts.append(words[MAX_QUERY_WORDS][0])
    cuts.extend(start + MAX_WORD_CHARS for start, end, _ in words if end - start > MAX_WORD_CHARS)
    for n, mark in enumerate(_MARK.finditer(text)):
        if n == MAX_QUERY_MARKS:
            cuts.append(mark.start())
            break
    end = min(cuts)
    return query if end == len(query) else text[:end].rstrip()


def analyze_query(query: str) -> QueryTerms:
    """Terms of a search query (of its ``analysed_part``). Never raises on odd
    input: anything that is not a letter or digit is a token break, so query
    syntax, quotes, NUL bytes or emoji simply yield fewer (or no) terms."""
    if not isinstance(query, str):
        query = "" if query is None else str(query)
    return _analyze_query(query)


# One search analyses its query twice (the lexical side, then the highlighter),
# and a page of results or the next page asks again: the terms are kept.
@lru_cache(maxsize=256)
def _analyze_query(query: str) -> QueryTerms:
    q = analysed_part(nfc(_strip_unsafe(query)).strip())
    diacritics = has_diacritics(q)
    exact = normalize_terms(q)
    ex = _unique(exact)
    ex_bi = _unique(_bigram_string(exact).split(" ")) if len(exact) > 1 else ()

    forms: tuple[str, ...] = (q,) if q else ()
    keys: list[str] = []
    alt_uni: list[str] = []
    alt_bi: list[str] = []
    if exact:
        table = abbreviations()
        info = _abbr_table()
        forms = tuple(table.expand_query(q))
        for form in forms:
            for _, _, abbr in table.contract(form):
                a = info.get(abbr)
                if a is not None:
                    keys.append(a.key)
        # "Tỉnh ủy" contracts to "TU", whose letters are an ordinary syllable: the
        # abbreviation field carries that meaning, the term "tu" must not.
        banned = {
            t for _, _, abbr in table.contract(q)
            if (e := table.get(abbr)) is not None and e.scope == "upper_only"
            for t in normalize_terms(abbr)
        }
        for form in forms[1:]:
            terms = normalize_terms(form)
            pairs = bigrams(terms)  # before filtering, so no false adjacency appears
            if banned:
                terms = [t for t in terms if t not in banned]
                pairs = [p for p in pairs if not banned & set(p.split(" "))]
            alt_uni.extend(terms)
            alt_bi.extend(p.replace(" ", BIGRAM_JOINER) for p in pairs)
    alt_ex = _unique(alt_uni, skip=ex)
    alt_ex_bi = _unique(alt_bi, skip=ex_bi)
    fo = _unique(fold(" ".join(ex)).split(" ")) if ex else ()
    fo_bi = _unique(fold(" ".join(ex_bi)).split(" ")) if ex_bi else ()
    return QueryTerms(
        text=q,
        has_diacritics=diacritics,
        exact=ex,
        folded=fo,
        exact_bigrams=ex_bi,
        folded_bigrams=fo_bi,
        alt_exact=alt_ex,
        alt_folded=_unique(fold(" ".join(alt_ex)).split(" "), skip=fo) if alt_ex else (),
        alt_exact_bigrams=alt_ex_bi,
        alt_folded_bigrams=_unique(fold(" ".join(alt_ex_bi)).split(" "), skip=fo_bi) if alt_ex_bi else (),
        abbreviations=_unique(keys),
        forms=forms,
    )
