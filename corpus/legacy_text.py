"""Vietnamese typed before Unicode: TCVN3 (ABC, ``.VnTime`` fonts) and VNI (``VNI-Times`` fonts).

Both are 8-bit font encodings: the file holds Windows-1252 bytes and only the
font made them look Vietnamese, so without it "Ủy ban nhân dân" reads as
"Uû ban nh©n d©n" (TCVN3) or "UÛy ban nhaân daân" (VNI). Here, text in which
each character stands for one such byte (decoded as cp1252, or as latin-1
where cp1252 leaves a byte undefined) is recognised and converted to Unicode NFC.

* TCVN3 (TCVN 5712:1993): one byte per letter. The table is the standard's VN1
  set; the ``.VnTime`` fonts (VN3) hold it less the upper-case letters placed in
  the C0 range, and upper case was usually typed with the lower-case codes in
  the matching "H" font (``.VnTimeH``), which ``font_encoding`` reports.
* VNI Windows: the base letter followed by a separate mark character ("a" +
  "ù" is "á", "a" + "â" is "â", "a" + "á" is "ấ"); ơ, ư, đ and the toned i
  and ỵ are single characters.

``detect`` decides whether a text is in one of them: enough of its words
must contain the encoding's characters, and those words must turn into valid
Vietnamese syllables when converted while far fewer are valid as they stand,
so Unicode Vietnamese and ordinary European text are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["ENCODINGS", "Detection", "detect", "encode", "font_encoding", "is_syllable", "may_be_legacy", "to_unicode", "warning"]

ENCODINGS = ("tcvn3", "vni")
_NAMES = {"tcvn3": "TCVN3 (ABC, phông .VnTime)", "vni": "VNI (phông VNI-Times)"}

# Tone marks in the order the rows below list the toned forms: huyền, hỏi, ngã, sắc, nặng.
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")

# Each row: the letter without tone, then its five toned forms in _TONES order, as TCVN3 bytes (hex);
# "-" where the letter is plain ASCII.
_TCVN3_ROWS = {
    "a": "- B5 B6 B7 B8 B9",
    "ă": "A8 BB BC BD BE C6",
    "â": "A9 C7 C8 C9 CA CB",
    "e": "- CC CE CF D0 D1",
    "ê": "AA D2 D3 D4 D5 D6",
    "i": "- D7 D8 DC DD DE",
    "o": "- DF E1 E2 E3 E4",
    "ô": "AB E5 E6 E7 E8 E9",
    "ơ": "AC EA EB EC ED EE",
    "u": "- EF F1 F2 F3 F4",
    "ư": "AD F5 F6 F7 F8 F9",
    "y": "- FA FB FC FD FE",
    "A": "- 80 81 82 83 84",
    "Ă": "A1 AF BA BF C0 85",
    "Â": "A2 C1 C2 C3 C4 86",
    "E": "- 87 88 89 8A 8B",
    "Ê": "A3 C5 CD D9 DA 8C",
    "I": "- 8D 8E 8F 90 91",
    "O": "- 92 93 94 95 96",
    "Ô": "A4 DB E0 F0 FF 97",
    "Ơ": "A5 98 99 9A 9B 9C",
    "U": "- 9D 9E 9F 01 02",
    "Ư": "A6 04 05 06 11 12",
    "Y": "- 13 14 15 16 17",
}
_TCVN3_OTHER = {"đ": 0xAE, "Đ": 0xA7}
# Separate tone marks (VN1), typed after a letter by some keyboards; NFC composes them.
_TCVN3_MARKS = {0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323"}

# VNI: each row is the letter without tone and its toned forms (_TONES order) as VNI text, lower case;
# the upper-case forms are the same with every character upper-cased ("AÙ" is "Á").
_VNI_ROWS = {
    "a": "a aø aû aõ aù aï",
    "â": "aâ aà aå aã aá aä",
    "ă": "aê aè aú aü aé aë",
    "e": "e eø eû eõ eù eï",
    "ê": "eâ eà eå eã eá eä",
    "i": "i ì æ ó í ò",
    "o": "o oø oû oõ où oï",
    "ô": "oâ oà oå oã oá oä",
    "ơ": "ô ôø ôû ôõ ôù ôï",
    "u": "u uø uû uõ uù uï",
    "ư": "ö öø öû öõ öù öï",
    "y": "y yø yû yõ yù î",
    "đ": "ñ",
}


def _byte_char(byte: int) -> str:
    """The character a byte becomes when legacy text is decoded: cp1252, or latin-1 where cp1252 has none."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def _toned(letter: str, tone: int) -> str:
    return unicodedata.normalize("NFC", letter + _TONES[tone - 1]) if tone else letter


def _tcvn3_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for letter, row in _TCVN3_ROWS.items():
        for tone, code in enumerate(row.split()):
            if code != "-":
                table[int(code, 16)] = _toned(letter, tone)
    table.update({code: letter for letter, code in _TCVN3_OTHER.items()})
    table.update(_TCVN3_MARKS)
    return table


def _vni_table() -> dict[str, str]:
    """VNI sequence -> Unicode letter, the canonical sequences first (``encode`` uses the first for each letter)."""
    table: dict[str, str] = {}
    for letter, row in _VNI_ROWS.items():
        for tone, sequence in enumerate(row.split()):
            if sequence.isascii():
                continue  # a plain letter
            table[sequence] = _toned(letter, tone)
            table[sequence.upper()] = _toned(letter, tone).upper()
    # A mark whose case differs from its letter's (other converters' output): the letter decides.
    for sequence, letter in list(table.items()):
        if len(sequence) == 2:
            table.setdefault(sequence[0] + sequence[1].swapcase(), letter)
    return table


_TCVN3_BYTES = _tcvn3_table()
_VNI_SEQUENCES = _vni_table()


def _decoding(byte_table: Mapping[bytes, str]) -> dict[str, str]:
    """Legacy text (cp1252 or latin-1 view of its bytes) -> Unicode, for each byte sequence of the table."""
    out: dict[str, str] = {}
    for raw, letter in byte_table.items():
        out["".join(_byte_char(b) for b in raw)] = letter
        out[raw.decode("latin-1")] = letter
    return {k: v for k, v in out.items() if k != v}


_DECODE = {
    "tcvn3": _decoding({bytes([b]): letter for b, letter in _TCVN3_BYTES.items()}),
    "vni": _decoding({s.encode("cp1252"): letter for s, letter in _VNI_SEQUENCES.items()}),
}
_DECODE_RE = {
    enc: re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))) for enc, table in _DECODE.items()
}
# The non-ASCII characters each encoding uses: the evidence that a word is in it.
_KEY_CHARS = {enc: frozenset(ch for key in table for ch in key if not ch.isascii()) for enc, table in _DECODE.items()}

_ENCODE = {
    "tcvn3": {letter: bytes([b]) for b, letter in sorted(_TCVN3_BYTES.items()) if len(letter) == 1 and not letter.isascii()},
    "vni": {},
}
for _sequence, _letter in _VNI_SEQUENCES.items():
    _ENCODE["vni"].setdefault(_letter, _sequence.encode("cp1252"))
# Bytes the encoding gives a meaning: any other byte keeps its cp1252 character.
_USED_BYTES = {enc: frozenset(b for seq in table.values() for b in seq) for enc, table in _ENCODE.items()}


def to_unicode(text: str, encoding: str) -> str:
    """``text`` (each character one legacy byte: cp1252 or latin-1 decoding) converted to Unicode NFC."""
    table = _DECODE[encoding]
    converted = _DECODE_RE[encoding].sub(lambda m: table[m.group()], text)
    return unicodedata.normalize("NFC", converted)


def encode(text: str, encoding: str) -> bytes:
    """Unicode text as the bytes a legacy editor would have saved (the reverse of ``to_unicode``).

    Other cp1252 characters are written as such where the encoding leaves their
    byte alone. Raises ``ValueError`` for any other character, rather than
    writing a byte that would read back as a letter (TCVN3's "ạ" is cp1252's "¹").
    """
    table = _ENCODE[encoding]
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ord(ch))
        elif ch in table:
            out += table[ch]
        else:
            out += _unused_byte(ch, encoding)
    return bytes(out)


def _unused_byte(ch: str, encoding: str) -> bytes:
    try:
        byte = ch.encode("cp1252")
    except UnicodeEncodeError:
        byte = b""
    if len(byte) != 1 or byte[0] in _USED_BYTES[encoding]:
        raise ValueError(f"{encoding} cannot encode {ch!r} (U+{ord(ch):04X})")
    return byte


def font_encoding(font: str | None) -> tuple[str, bool] | None:
    """(encoding, upper case) for a legacy Vietnamese font name, or None for any other font.

    ``.VnTime``, ``.VnArial``... are TCVN3; their "H" variants (``.VnTimeH``)
    draw the lower-case codes as capitals. ``VNI-Times``, ``VNI-Helve``... are VNI.
    """
    if not font:
        return None
    name = font.strip().lower()
    if name.startswith(".vn"):
        return "tcvn3", name.endswith("h") and not name[-2:-1].isspace()
    if name.startswith(("vni-", "vni ")):
        return "vni", False
    return None


def warning(encoding: str, where: str = "Văn bản") -> str:
    """The reader's warning that text was converted (in Vietnamese, naming the encoding)."""
    return f"{where} gõ theo bảng mã cũ {_NAMES[encoding]}; đã nhận ra và chuyển sang Unicode. Nên kiểm tra lại dấu tiếng Việt."


# --------------------------------------------------------------------------
# Detection

# Vowel groups of Vietnamese syllables (without tone marks), from the language's
# rhymes; a final consonant may follow. Loose on purpose: wrongly decoded text
# fails on characters that are not letters at all or on impossible vowel runs.
_VOWEL_GROUPS = (
    "a ai ao au ay ă â âu ây e eo ê êu i ia iu iê iêu o oa oai oao oay oă oe oeo oi oo ô ôi ơ ơi "
    "u ua uâ uây uê ui uô uôi uơ uy uya uyê uyu ư ưa ưi ươ ươi ươu ưu y yê yêu"
).split()
_SYLLABLE_RE = re.compile(
    "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    f"(?:{'|'.join(sorted(_VOWEL_GROUPS, key=len, reverse=True))})"
    "(?:ch|ng|nh|[cmnpt])?"
)
_TONE_SET = frozenset(_TONES)
# Characters of Unicode text that no legacy byte decodes to: Vietnamese letters
# such as ư, ạ, đ, and everything else beyond cp1252.
_LEGACY_CHARS = frozenset(_byte_char(b) for b in range(256)) | frozenset(chr(b) for b in range(256))

# Share of the text examined: a legacy document is in one encoding throughout.
_SAMPLE_CHARS = 200_000
_MIN_WORDS = 5  # words with the encoding's characters, for a text with no other evidence
_MIN_VALID = 0.85  # share of those words that convert to valid syllables
_MIN_GAIN = 0.3  # by how much more than as they stand
_MAX_FOREIGN = 0.02  # share of non-ASCII characters no legacy byte gives (Unicode Vietnamese: about half)


def is_syllable(word: str) -> bool:
    """True if ``word`` is spelled like a Vietnamese syllable (any case, at most one tone mark)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(ch in _TONE_SET for ch in decomposed)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_SET))
    return _SYLLABLE_RE.fullmatch(bare) is not None


@dataclass(frozen=True)
class Detection:
    encoding: str
    words: int  # words holding the encoding's characters
    valid: float  # share of them that convert to syllables
    valid_as_is: float  # share of them that are syllables unconverted


def _words(text: str, keys: frozenset[str]) -> list[str]:
    """Runs of letters and the encoding's characters that hold at least one of the latter."""
    words, current, has_key = [], [], False
    for ch in text:
        if ch in keys or ch.isalpha():
            current.append(ch)
            has_key = has_key or ch in keys
        else:
            if has_key:
                words.append("".join(current))
            current, has_key = [], False
    if has_key:
        words.append("".join(current))
    return words


def _score(text: str, encoding: str) -> Detection:
    words = _words(text, _KEY_CHARS[encoding])
    if not words:
        return Detection(encoding, 0, 0.0, 0.0)
    valid = sum(is_syllable(to_unicode(word, encoding)) for word in words)
    as_is = sum(is_syllable(word) for word in words)
    return Detection(encoding, len(words), valid / len(words), as_is / len(words))


def may_be_legacy(text: str) -> bool:
    """False when ``text`` holds a character no legacy byte decodes to (ư, ạ, đ...): it is Unicode."""
    return all(ch in _LEGACY_CHARS for ch in text)


def _foreign_share(text: str) -> float:
    non_ascii = [ch for ch in text if not ch.isascii()]
    if not non_ascii:
        return 0.0
    return sum(ch not in _LEGACY_CHARS for ch in non_ascii) / len(non_ascii)


def detect(text: str, candidates: Iterable[str] = ENCODINGS, min_words: int = _MIN_WORDS) -> Detection | None:
    """The legacy encoding ``text`` is written in, or None for Unicode (or any other) text.

    ``text`` is the file's text as decoded (cp1252, latin-1 or UTF-8 holding
    the cp1252 characters). Pass ``candidates`` and a lower ``min_words`` when
    something else already points to an encoding, such as a run's font.
    """
    sample = text[:_SAMPLE_CHARS]
    if sample.isascii() or _foreign_share(sample) > _MAX_FOREIGN:
        return None
    best = max((_score(sample, enc) for enc in candidates), key=lambda d: (d.valid - d.valid_as_is, d.words))
    if best.words < min_words or best.valid < _MIN_VALID or best.valid - best.valid_as_is < _MIN_GAIN:
        return None
    return best
