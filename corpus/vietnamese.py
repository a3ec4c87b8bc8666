"""Vietnamese text normalisation for search: every rule in one place.

Two guarantees matter to the rest of the pipeline, because it stores character
offsets into the NFC text and highlights matches with them:

* ``canonical_tones``, ``fold``, ``fold_key`` and ``match_key`` are
  **length-preserving on NFC input**: output character ``i`` comes from input
  character ``i``, so an offset found in a key string is an offset into the text.
* ``syllables`` returns offsets into the string it was given, and tokenising
  ``fold(text)`` yields the same offsets as tokenising ``text`` (NFC).

Everything here is a pure function over module-level constant tables, apart
from ``load_abbreviations`` which reads ``corpus/data/abbreviations.tsv``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence, overload

import numpy as np

from corpus.data_files import content_lines, packaged_text

__all__ = [
    "nfc",
    "canonical_tones",
    "fold",
    "fold_key",
    "match_key",
    "has_diacritics",
    "syllables",
    "bigrams",
    "Abbreviation",
    "Abbreviations",
    "load_abbreviations",
    "SCOPES",
]


# --------------------------------------------------------------------------
# Unicode form


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form."""
    # The quick check makes the common case (already NFC) cheap on 64 M chars.
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------
# Tone-mark placement

_TONE_MARKS = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền sắc hỏi ngã nặng


def _with_tones(base: str) -> str:
    return "".join(unicodedata.normalize("NFC", base + t) for t in _TONE_MARKS)


def _all_tones(bases: str) -> str:
    """Every tone variant (incl. toneless) of each base letter, both cases."""
    out = []
    for b in bases:
        for c in (b, b.upper()):
            out.append(c + _with_tones(c))
    return "".join(out)


_VOWEL_BASES = "aăâeêioôơuưy"
_VOWELS = _all_tones(_VOWEL_BASES)


def _move_tone(src: str, dst: str) -> tuple[str, str]:
    """Move the tone mark of ``src`` onto ``dst`` (which has none)."""
    d = unicodedata.normalize("NFD", src)
    tone = next(ch for ch in d if ch in _TONE_MARKS)
    plain = unicodedata.normalize("NFC", d.replace(tone, ""))
    return plain, unicodedata.normalize("NFC", dst + tone)


def _build_pair_table() -> Mapping[str, str]:
    # New style ("hoà", "thuỷ") -> old style ("hòa", "thủy"), both cases per letter.
    table: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for f in (first, first.upper()):
            for s in (second, second.upper()):
                for toned in _with_tones(s):
                    plain, moved = _move_tone(toned, f)
                    table[f + toned] = moved + plain
    return MappingProxyType(table)


_PAIR_TO_OLD = _build_pair_table()

# A new-style pair that ends an open syllable: not followed by a letter (a final
# consonant or a third vowel makes the placement the same in both styles:
# "hoàn", "thuyền", "ngoài", "khuya", "khuỷu"). The regex starts with a plain
# character set so that re can scan for it fast; which pairs are real, and the
# "not after a vowel, nor after q" condition ("quý" is right: that u belongs to
# the consonant), are checked in ``_fix_pair``.
_PAIR_RE = re.compile(
    "[oOuU][%s](?![^\\W\\d_])" % "".join(sorted({k[1] for k in _PAIR_TO_OLD}))
)
_NOT_BEFORE_PAIR = frozenset(_VOWELS + "qQ")


def _fix_pair(m: re.Match[str]) -> str:
    pair = m.group()
    start = m.start()
    if start and m.string[start - 1] in _NOT_BEFORE_PAIR:
        return pair
    return _PAIR_TO_OLD.get(pair, pair)


# "qúy", "qúa", "Qũy": the tone was typed on the u of "qu", which is never the
# nucleus. Only fixed when what follows is a single plain vowel plus an optional
# final consonant, where the nucleus (and so the right position) is certain.
_QU_RE = re.compile(
    r"[qQ][ùúủũụÙÚỦŨỤ][aăâeêioôơyAĂÂEÊIOÔƠY](?i:ch|ng|nh|[cmnpt])?(?![^\W\d_])"
)


def _fix_qu(m: re.Match[str]) -> str:
    word = m.group()
    start = m.start()
    if start and m.string[start - 1].isalpha():
        return word  # q must begin the syllable
    plain_u, vowel = _move_tone(word[1], word[2])
    return word[0] + plain_u + vowel + word[3:]


def canonical_tones(text: str) -> str:
    """Put tone marks of oa/oe/uy syllables in one place: the *old* style.

    "hoà" -> "hòa", "thuỷ" -> "thủy", "khoẻ" -> "khỏe", "Uỷ" -> "Ủy",
    "HOÀ" -> "HÒA"; also the misplaced "qúy" -> "quý", "qúa" -> "quá".

    Old style (tone on the first vowel of an open oa/oe/uy) is chosen because it
    is what the corpus mostly uses (phapdien: 98k old-style against 6k new-style
    occurrences) and what Unikey types by default, so keys look like the text.

    Only open syllables are touched: with a final consonant or a third vowel
    both styles agree ("hoàn", "thuyền", "ngoài", "khuya", "khuỷu"). "qu" + y is
    left alone ("quý": u belongs to the consonant), as are "gia", "quả", "của",
    "thuở". Misplacements in closed syllables ("hòan") are rare and often two
    words run together ("Ủyban"), so they are not guessed at.

    Length-preserving on NFC input: only combining marks move between adjacent
    letters, each letter stays one code point. Non-NFC input is normalised first.
    """
    text = nfc(text)
    if text.isascii():
        return text
    text = _PAIR_RE.sub(_fix_pair, text)
    return _QU_RE.sub(_fix_qu, text)


# --------------------------------------------------------------------------
# Folding

# Combining marks that NFC could not attach to a base letter. Folding them to a
# space (not to nothing) keeps the one-to-one offsets, and makes them a token
# break, which is also how ``syllables`` treats them in the unfolded text.
_COMBINING_RANGES = (
    (0x0300, 0x0370),
    (0x1AB0, 0x1B00),
    (0x1DC0, 0x1E00),
    (0x20D0, 0x2100),
    (0xFE20, 0xFE30),
)

# Letters that do not decompose but must fold like Vietnamese đ. U+00D0/U+00F0
# (Icelandic eth) stand in for Đ/đ in text converted from legacy encodings
# (phapdien has "Ðiều", "QÐ-BTS").
_EXTRA_FOLDS = {"đ": "d", "Đ": "D", "Ð": "D", "ð": "d"}


def _build_fold_map() -> dict[int, int]:
    table: dict[int, int] = {}
    # Latin, Greek, Cyrillic and Latin Extended Additional (all Vietnamese letters)
    # live below U+3000; nothing above decomposes into base + marks that matters here.
    for cp in range(0x00C0, 0x3000):
        d = unicodedata.normalize("NFD", chr(cp))
        if len(d) > 1 and all(unicodedata.category(c).startswith("M") for c in d[1:]):
            base = d[0]
            if not unicodedata.category(base).startswith("M"):
                table[cp] = ord(base)
    for lo, hi in _COMBINING_RANGES:
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp)).startswith("M"):
                table[cp] = ord(" ")
    for src, dst in _EXTRA_FOLDS.items():
        table[ord(src)] = ord(dst)
    return table


def _build_fold_lut(mapping: Mapping[int, int]) -> np.ndarray:
    lut = np.arange(0x10000, dtype=np.uint32)  # BMP code point -> folded code point
    for src, dst in mapping.items():
        lut[src] = dst
    lut.flags.writeable = False
    return lut


_FOLD_MAP: Mapping[int, int] = MappingProxyType(_build_fold_map())
_FOLD_LUT = _build_fold_lut(_FOLD_MAP)

# Below this length str.translate wins (numpy's per-call overhead); above it the
# vectorised lookup is ~8x faster. Long texts are done in slices to keep the
# temporary UTF-32 arrays cache- and memory-friendly.
_NUMPY_MIN = 256
_NUMPY_SLICE = 1 << 20


def _fold_numpy(text: str) -> str:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if int(codes.max()) < 0x10000:
        out = _FOLD_LUT[codes]
    else:
        out = codes.copy()
        bmp = codes < 0x10000
        out[bmp] = _FOLD_LUT[codes[bmp]]
    return out.tobytes().decode("utf-32-le")


def fold(text: str) -> str:
    """Diacritic-free form: "Đường Hồ Chí Minh" -> "Duong Ho Chi Minh".

    The text is normalised to NFC, then every character is replaced by its
    NFD base letter (marks dropped); đ/Đ (and the look-alikes ð/Ð) become d/D.
    Case is kept. Length-preserving on NFC input: each code point maps to
    exactly one code point; a combining mark NFC left unattached becomes a space.
    """
    text = nfc(text)
    if text.isascii():
        return text
    n = len(text)
    if n < _NUMPY_MIN:
        return text.translate(_FOLD_MAP)
    if n <= _NUMPY_SLICE:
        return _fold_numpy(text)
    return "".join(_fold_numpy(text[i : i + _NUMPY_SLICE]) for i in range(0, n, _NUMPY_SLICE))


def _lower(text: str) -> str:
    # "İ".lower() is two code points; keep the 1:1 offset mapping.
    if "\u0130" in text:
        text = text.replace("\u0130", "I")
    return text.lower()


def fold_key(text: str) -> str:
    """Lower-cased ``fold``: the key for accent- and case-insensitive matching.

    No ``canonical_tones`` step is needed: folding drops the tone marks, so where
    they sat no longer matters. Length-preserving on NFC input.
    """
    return fold(text).lower()


_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ"})


def match_key(text: str) -> str:
    """Key for exact matching *with* diacritics, insensitive to case and tone style.

    NFC, Ð/ð look-alikes -> Đ/đ, ``canonical_tones``, lower case:
    "Uỷ ban" and "ỦY BAN" both give "ủy ban". Length-preserving on NFC input.
    """
    text = nfc(text)
    if "Ð" in text or "ð" in text:
        text = text.translate(_LOOKALIKES)
    return _lower(canonical_tones(text))


_DIACRITIC_RE = re.compile(
    "[%s]" % "".join(re.escape(chr(cp)) for cp, to in _FOLD_MAP.items() if to != ord(" "))
    + "|[\u0300-\u036f]"
)


def has_diacritics(text: str) -> bool:
    """True if ``text`` has any accented letter or đ (NFC or NFD), e.g. a query
    typed with Vietnamese diacritics ("bão số 3") rather than without ("bao so 3")."""
    return _DIACRITIC_RE.search(text) is not None


# --------------------------------------------------------------------------
# Tokenisation

# A token is a run of letters and digits ("QH14", "UBND", "Hòa"); when it ends
# in a digit it continues over "." or "," followed by digits, so numbers written
# with separators stay one token ("177.135", "13,4", "1.000.000") because that is
# how amounts are written and searched. Everything else splits: "163/TB-UBND" ->
# "163", "TB", "UBND"; "24/9/2024" -> "24", "9", "2024", so "ngày 24 tháng 9"
# and "24/9" share tokens; "2024." -> "2024". Combining marks are not token
# characters, which is why the text should be NFC. (Written as one run plus a
# look-behind rather than an alternation: twice as fast on the corpus.)
_TOKEN_RE = re.compile(r"[^\W_]+(?:(?<=\d)[.,]\d+)*")


def syllables(text: str) -> list[tuple[int, int, str]]:
    """Word tokens of ``text`` as ``(start, end, token)``; ``text[start:end] == token``.

    Vietnamese writes each syllable as a separate word, so these are syllables.
    No case folding or normalisation is applied: pass NFC text (or its ``fold``,
    which yields the same offsets).
    """
    return [(*m.span(), m.group()) for m in _TOKEN_RE.finditer(text)]


@overload
def bigrams(tokens: Sequence[str]) -> list[str]: ...


@overload
def bigrams(tokens: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]: ...


def bigrams(tokens):  # type: ignore[no-untyped-def]
    """Adjacent pairs joined by a space.

    Given ``syllables`` output, returns ``(start of first, end of second, "a b")``;
    given plain strings, returns strings. Pairs are formed across punctuation too
    ("bằng, tái"): cheap noise, whereas stopping at it would lose "kinh tế - xã hội".
    """
    if not tokens:
        return []
    if isinstance(tokens[0], str):
        return [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
    return [(a[0], b[1], f"{a[2]} {b[2]}") for a, b in zip(tokens, tokens[1:])]


# --------------------------------------------------------------------------
# Abbreviations

SCOPES = ("query+index", "upper_only", "number_only")
"""How far an abbreviation can be trusted.

``query+index``: distinctive in any case and without diacritics ("ubnd", "hdnd"):
expanded in queries, contracted from its expansion, found in text.
``upper_only``: its lower-case or diacritic-free form is an ordinary syllable
("tư", "hư"→"hu", "tu", "đu"), so it is recognised only when written exactly as
in the table (upper case) and never in its folded form.
``number_only``: a document-type or issuer code ("163/TB-UBND", "01/NQ-CP") whose
expansion is an everyday phrase ("thông báo", "kế hoạch") and whose letters are
ambiguous elsewhere (CT = chỉ thị / chủ tịch / công ty): found only inside a
document number, never expanded in queries nor contracted.
"""

_SEPARATORS_RE = re.compile(r"[\s\-–&./]+")


def _loose_key(abbr: str) -> str:
    """"LĐ-TB&XH", "LĐTBXH", "ld-tb&xh" -> "ldtbxh"."""
    return _SEPARATORS_RE.sub("", fold_key(abbr))


def _phrase_key(text: str) -> str:
    """Folded tokens without "và": how expansions are compared ("giáo dục - đào tạo"
    and "Giáo dục và Đào tạo" give the same key)."""
    toks = [t for _, _, t in syllables(fold_key(text))]
    if len(toks) > 2:
        toks = [toks[0], *(t for t in toks[1:-1] if t != "va"), toks[-1]]
    return " ".join(toks)


# Between two words of an expansion: spaces, or one of - – , & / with optional
# spaces ("kinh tế - xã hội", "kinh tế xã hội", "bồi thường, giải phóng mặt bằng").
_WORD_SEP = r"(?:\s*[-–,&/]\s*|\s+)"


def _expansion_pattern(expansion: str) -> str:
    toks = [t for _, _, t in syllables(fold_key(expansion))]
    parts = [re.escape(toks[0])]
    for i, t in enumerate(toks[1:], start=1):
        if t == "va" and i < len(toks) - 1:
            parts.append(f"(?:{_WORD_SEP}va)?")  # "và" may be replaced by "-" or "&"
        else:
            parts.append(_WORD_SEP + re.escape(t))
    return "".join(parts)


_BOUNDED = r"(?<![^\W_])(?:%s)(?![^\W_])"


def _is_in_doc_number(text: str, start: int, end: int) -> bool:
    """Is [start, end) a code inside a document number such as "163/TB-UBND",
    "23-QC/HU", or a form's blank "Số: /QĐ-UBND"? The surrounding non-space run
    must hold a "/" and a digit (or start with "/"), and the code must touch a
    "/" or "-" ("HD/HSD", hạn dùng, is not one)."""
    left = start
    while left > 0 and not text[left - 1].isspace() and start - left < 64:
        left -= 1
    right = end
    while right < len(text) and not text[right].isspace() and right - end < 64:
        right += 1
    run = text[left:right]
    if "/" not in run or not (run.startswith("/") or any(c.isdigit() for c in run)):
        return False
    return (start > 0 and text[start - 1] in "/-") or (end < len(text) and text[end] in "/-")


_WORD_BEFORE_RE = re.compile(r"([^\W\d_]+)[^\w\n]{0,3}$")
_WORD_AFTER_RE = re.compile(r"^[^\w\n]{0,3}([^\W\d_]+)")


def _in_upper_case_run(text: str, start: int, end: int, known: Mapping[str, str]) -> bool:
    """Is [start, end) one word of an all-capitals heading ("ĐẦU TƯ", "TU BỔ")?
    True when the word next to it on the same line is upper case and not itself
    an abbreviation."""
    for rx, part in ((_WORD_BEFORE_RE, text[max(0, start - 24) : start]),
                     (_WORD_AFTER_RE, text[end : end + 24])):
        m = rx.search(part)
        if m and len(m.group(1)) > 1 and m.group(1).isupper() and m.group(1) not in known:
            return True
    return False


@dataclass(frozen=True)
class Abbreviation:
    abbr: str  # as written in documents, e.g. "HĐND", "BT-GPMB", "GD&ĐT"
    expansions: tuple[str, ...]  # NFC, with diacritics; the first is the usual one
    scope: str  # one of SCOPES


class Abbreviations:
    """Immutable abbreviation table with lookups in both directions.

    Build it once (``load_abbreviations()``) and keep it: the constructor compiles
    the regular expressions.
    """

    __slots__ = ("entries", "_by_abbr", "_exact", "_loose", "_surface", "_find_re",
                 "_contract_re", "_by_phrase")

    def __init__(self, entries: Iterable[Abbreviation]):
        self.entries: tuple[Abbreviation, ...] = tuple(entries)
        by_abbr: dict[str, Abbreviation] = {}
        exact: dict[str, list[str]] = {}
        loose: dict[str, list[str]] = {}
        for e in self.entries:
            if e.scope not in SCOPES:
                raise ValueError(f"{e.abbr}: unknown scope {e.scope!r}")
            if e.abbr in by_abbr:
                raise ValueError(f"{e.abbr}: listed twice")
            by_abbr[e.abbr] = e
            exact.setdefault(match_key(e.abbr), []).append(e.abbr)
            loose.setdefault(_loose_key(e.abbr), []).append(e.abbr)
        self._by_abbr = MappingProxyType(by_abbr)
        self._exact = MappingProxyType({k: tuple(v) for k, v in exact.items()})
        self._loose = MappingProxyType({k: tuple(v) for k, v in loose.items()})

        # Surface forms for ``find``: the abbreviation as listed always wins; then,
        # except for upper_only, the usual spellings without separators, with "-"
        # for "&", and without đ ("HDND", "GD-ĐT", "GDĐT", "KTXH", "LĐTBXH").
        surface: dict[str, str] = {e.abbr: e.abbr for e in self.entries}
        for e in self.entries:
            if e.scope == "upper_only":
                continue
            forms = {e.abbr.replace("&", "-"), re.sub(r"[\-&]", "", e.abbr)}
            forms |= {fold(f) for f in list(forms) + [e.abbr]}
            for f in sorted(forms):
                if len(f) >= 2 and f not in surface:
                    surface[f] = e.abbr
        self._surface = MappingProxyType(surface)
        alts = sorted(surface, key=lambda s: (-len(s), s))
        self._find_re = re.compile(_BOUNDED % "|".join(map(re.escape, alts)))

        by_phrase: dict[str, str] = {}
        patterns: dict[str, str] = {}
        for e in self.entries:
            if e.scope == "number_only":
                continue
            for x in e.expansions:
                key = _phrase_key(x)
                if key not in by_phrase:
                    by_phrase[key] = e.abbr
                    patterns[key] = _expansion_pattern(x)
        self._by_phrase = MappingProxyType(by_phrase)
        pats = [patterns[k] for k in sorted(patterns, key=lambda k: (-len(k), k))]
        self._contract_re = re.compile(_BOUNDED % "|".join(pats)) if pats else None

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, abbr: object) -> bool:
        return isinstance(abbr, str) and bool(self._lookup(abbr))

    def get(self, abbr: str) -> Abbreviation | None:
        """The entry for ``abbr`` exactly as listed, else None."""
        return self._by_abbr.get(abbr)

    def _lookup(self, abbr: str) -> tuple[str, ...]:
        # Exact (diacritics kept) before loose, so "TU" is tỉnh ủy and "TƯ" is
        # trung ương even though both fold to "tu".
        return self._exact.get(match_key(abbr.strip())) or self._loose.get(_loose_key(abbr), ())

    def expansions(self, abbr: str) -> list[str]:
        """Expansions of ``abbr``, matched case-insensitively and also without
        diacritics or separators: "HDND", "hđnd" -> ["Hội đồng nhân dân"];
        "GD&DT", "GD-ĐT" -> ["Giáo dục và Đào tạo", ...]. Unknown -> []."""
        out: list[str] = []
        for name in self._lookup(abbr):
            out.extend(x for x in self._by_abbr[name].expansions if x not in out)
        return out

    def abbreviations_for(self, phrase: str) -> list[str]:
        """Abbreviations whose expansion is ``phrase`` (folded, case-insensitive):
        "Uỷ ban nhân dân", "uy ban nhan dan" -> ["UBND"]. All scopes."""
        key = _phrase_key(phrase)
        return [e.abbr for e in self.entries if any(_phrase_key(x) == key for x in e.expansions)]

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Abbreviations written in ``text`` as whole tokens: ``(start, end, abbr)``
        with ``abbr`` the table's form ("HDND" in the text gives "HĐND").

        Case-sensitive, so ordinary words ("tu", "hu", "kh") never match;
        ``number_only`` codes only inside a document number ("163/TB-UBND");
        ``upper_only`` ones not inside an all-capitals heading ("BỘ TƯ PHÁP").
        Offsets are into ``nfc(text)`` (``text`` itself when it is NFC).
        """
        text = nfc(text)
        if "Ð" in text:
            text = text.replace("Ð", "Đ")
        out = []
        for m in self._find_re.finditer(text):
            e = self._by_abbr[self._surface[m.group()]]
            if e.scope == "number_only" and not _is_in_doc_number(text, m.start(), m.end()):
                continue
            if e.scope == "upper_only" and _in_upper_case_run(text, m.start(), m.end(), self._surface):
                continue
            out.append((m.start(), m.end(), e.abbr))
        return out

    def contract(self, text: str) -> list[tuple[int, int, str]]:
        """Places where an expansion is written out: ``(start, end, abbr)``.

        Matched on ``fold_key`` (so any case, tone style or missing diacritics)
        with flexible separators: "giải phóng mặt bằng" -> GPMB, "Uỷ ban nhân dân"
        -> UBND, "giáo dục - đào tạo" -> GD&ĐT. Longest expansion wins.
        ``number_only`` entries are never contracted. Offsets into ``nfc(text)``.
        """
        if self._contract_re is None:
            return []
        key = fold_key(text)
        return [
            (m.start(), m.end(), self._by_phrase[_phrase_key(m.group())])
            for m in self._contract_re.finditer(key)
        ]

    def _query_abbreviations(self, query: str) -> list[tuple[int, int, Abbreviation]]:
        out = []
        for chunk in re.finditer(r"\S+", query):
            word = chunk.group()
            if "/" in word and any(c.isdigit() for c in word):
                continue  # a document number: matched verbatim, never rewritten
            for m in re.finditer(r"[^\W_]+(?:[-&][^\W_]+)*", word):
                pieces = [(m.start(), m.group())]
                if not self._query_entry(m.group()):
                    pieces = [(m.start() + p.start(), p.group()) for p in re.finditer(r"[^\W_]+", m.group())]
                for off, piece in pieces:
                    e = self._query_entry(piece)
                    if e is not None:
                        s = chunk.start() + off
                        out.append((s, s + len(piece), e))
        return out

    def _query_entry(self, token: str) -> Abbreviation | None:
        for name in self._lookup(token):
            e = self._by_abbr[name]
            if e.scope == "query+index":
                return e
            if e.scope == "upper_only" and token.replace("Ð", "Đ") == e.abbr:
                return e
        return None

    def expand_query(self, query: str, max_forms: int = 8) -> list[str]:
        """The query and its alternative forms, original (NFC) first, no duplicates:

        * abbreviations expanded ("GPMB huyện" -> "giải phóng mặt bằng huyện"),
          once per alternative expansion ("TU" -> "Tỉnh ủy", "Thành ủy");
        * expansions abbreviated ("giai phong mat bang" -> "GPMB").

        Typed abbreviations are recognised in any case and without diacritics
        ("ubnd", "hdnd") except ``upper_only`` ones (must be typed as listed) and
        ``number_only`` ones (never). Document numbers are left as they are.
        """
        q = nfc(query)
        forms = [q]
        abbrs = self._query_abbreviations(q)
        if abbrs:
            for k in range(max(len(e.expansions) for _, _, e in abbrs)):
                forms.append(_replace(q, [(s, t, e.expansions[min(k, len(e.expansions) - 1)])
                                          for s, t, e in abbrs]))
        taken = [(s, t) for s, t, _ in abbrs]
        contractions = [
            (s, t, a) for s, t, a in self.contract(q)
            if not any(s < t2 and s2 < t for s2, t2 in taken)
        ]
        if contractions:
            forms.append(_replace(q, contractions))
        seen: list[str] = []
        for f in forms:
            if f not in seen:
                seen.append(f)
        return seen[:max_forms]

    @classmethod
    def from_tsv(cls, text: str) -> "Abbreviations":
        """Parse the TSV format of ``corpus/data/abbreviations.tsv``."""
        order: list[str] = []
        exps: dict[str, list[str]] = {}
        scopes: dict[str, str] = {}
        for lineno, line in content_lines(text):
            cols = [c.strip() for c in line.split("\t")]
            if cols[0] == "abbr":
                continue  # header
            if len(cols) < 2 or not cols[0] or not cols[1]:
                raise ValueError(f"abbreviations line {lineno}: need abbr<TAB>expansion[<TAB>scope]")
            abbr, expansion = nfc(cols[0]), nfc(cols[1])
            scope = cols[2] if len(cols) > 2 and cols[2] else "query+index"
            if abbr not in exps:
                order.append(abbr)
                exps[abbr] = []
                scopes[abbr] = scope
            elif scopes[abbr] != scope:
                raise ValueError(f"abbreviations line {lineno}: {abbr} has two scopes")
            if expansion not in exps[abbr]:
                exps[abbr].append(expansion)
        return cls(Abbreviation(a, tuple(exps[a]), scopes[a]) for a in order)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, rep in sorted(spans):
        out.append(text[pos:s])
        out.append(rep)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def load_abbreviations(path: str | Path | None = None) -> Abbreviations:
    """Read the abbreviation table (default: the packaged ``corpus/data/abbreviations.tsv``)."""
    if path is None:
        text = packaged_text("abbreviations.tsv")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Abbreviations.from_tsv(text)
