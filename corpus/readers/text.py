"""Plain text and Markdown files."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from corpus import legacy_text
from corpus.models import DocumentReadError, RawDocument

from .files import empty_file, file_mtime
from .limits import ReadSettings, check_text, read_capped, too_many_bytes, too_many_chars
from .markup import strip_markup

# Above this share of control characters a ".txt" is taken for a binary file.
_MAX_CONTROL_SHARE = 0.05
_ALLOWED_CONTROLS = "\t\n\v\f\r"
_CONTROL_BYTES = bytes(b for b in [*range(0x20), 0x7F] if chr(b) not in _ALLOWED_CONTROLS)
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")

# UTF-16 without a BOM: text mostly in Latin script has a NUL as the high byte of
# most characters (Vietnamese: ASCII letters, spaces, Latin-1 vowels) and seldom
# as the low byte (U+0300 the grave accent in decomposed text, U+0100, U+1E00...);
# binary files have about as many NULs on both sides.
_UTF16_SAMPLE = 64 * 1024
_UTF16_MIN_NULS = 0.2  # share of high bytes that are NUL
_UTF16_NUL_SKEW = 4  # at least this many times the low bytes' share
# Enough of a file to tell a legacy font encoding (TCVN3, VNI) from Unicode; one file uses one throughout.
_LEGACY_SAMPLE = 200_000
# No encoding takes more than 4 bytes to a character, so a text file that long cannot be under the limit.
_MAX_BYTES_PER_CHAR = 4

_ENCODING_WARNINGS = {
    "utf-16": "Tệp mã hóa UTF-16 (không phải UTF-8); đã chuyển sang UTF-8.",
    "utf-16-le": "Tệp mã hóa UTF-16 LE không có BOM (không phải UTF-8); đã nhận ra và chuyển sang UTF-8.",
    "utf-16-be": "Tệp mã hóa UTF-16 BE không có BOM (không phải UTF-8); đã nhận ra và chuyển sang UTF-8.",
    "cp1258": ("Tệp không phải UTF-8; đã đọc theo bảng mã Windows-1258 (cp1258). Nên kiểm tra lại dấu tiếng Việt."),
}


def read_text(path: Path, doc_id: str, fmt: str, settings: ReadSettings = ReadSettings()) -> RawDocument:
    """Read a ``.txt`` (``fmt="txt"``) or ``.md`` (``fmt="md"``) file."""
    by_chars = _MAX_BYTES_PER_CHAR * settings.max_chars
    if by_chars < settings.max_bytes:
        data = read_capped(path, by_chars, too_many_chars(path, settings))
    else:
        data = read_capped(path, settings.max_bytes, too_many_bytes(path, settings))
    text, encoding, legacy = _decode_legacy(data, path)
    del data  # before NFC makes another copy of the text
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise _binary_error(path)
    # Before the markup pass, whose cost grows with the text.
    check_text(path, text, settings)
    markup = strip_markup(text, markdown_headings=fmt == "md")
    if not markup.text.strip():
        raise empty_file(path)
    warning = legacy_text.warning(legacy, "Tệp") if legacy else _ENCODING_WARNINGS.get(encoding)
    return RawDocument(
        doc_id=doc_id,
        source=str(path),
        format=fmt,
        text=markup.text,
        bold=markup.bold,
        headings=markup.headings,
        encoding=legacy or encoding,
        warnings=[warning] if warning else [],
        mtime=file_mtime(path),
    )


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM stripped), UTF-16 with a BOM, UTF-16 without one, or cp1258, in that order."""
    if not data.strip():
        raise empty_file(path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _encoding_error(path) from None
    if b"\x00" in data:
        # UTF-8 and cp1258 text never contains NUL: UTF-16 without its BOM, or binary.
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise _binary_error(path)
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise _binary_error(path) from None
    if _control_byte_share(data) > _MAX_CONTROL_SHARE:
        raise _binary_error(path)
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    else:
        encoding = "utf-8"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "cp1258"
    except UnicodeDecodeError:
        raise _encoding_error(path) from None


def _decode_legacy(data: bytes, path: Path) -> tuple[str, str, str | None]:
    """``decode``, then text typed in a pre-Unicode font encoding converted: (text, encoding, "tcvn3"/"vni" or None).

    Such text comes as bytes that are not UTF-8 (decoded as cp1258 by ``decode``,
    or refused by it: cp1258 leaves undefined some bytes TCVN3 uses for capitals,
    0x81 "Ả", 0x90 "Í"...), or as UTF-8 holding the cp1252 characters of those
    bytes (copied out of a ``.VnTime`` document). The bytes are read one by one
    (latin-1), since cp1258 composes some of them.
    """
    try:
        text, encoding = decode(data, path)
    except DocumentReadError as exc:
        if exc.code != "bad_encoding" or (legacy := _legacy_encoding(data, None)) is None:
            raise
        return legacy_text.to_unicode(data.decode("latin-1"), legacy), "latin-1", legacy
    as_bytes = encoding == "cp1258"
    legacy = _legacy_encoding(data, None if as_bytes else text)
    if legacy is None:
        return text, encoding, None
    return legacy_text.to_unicode(data.decode("latin-1") if as_bytes else text, legacy), encoding, legacy


def _legacy_encoding(data: bytes, text: str | None) -> str | None:
    sample = data[:_LEGACY_SAMPLE].decode("latin-1") if text is None else text[:_LEGACY_SAMPLE]
    found = legacy_text.detect(sample)
    return found.encoding if found else None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when the NULs of a sample sit on one side of the code units, else None."""
    if len(data) % 2:
        return None
    sample = data[:_UTF16_SAMPLE]
    units = len(sample) // 2
    even, odd = sample[0::2].count(0) / units, sample[1::2].count(0) / units
    if odd >= _UTF16_MIN_NULS and odd >= _UTF16_NUL_SKEW * even:
        return "utf-16-le"
    if even >= _UTF16_MIN_NULS and even >= _UTF16_NUL_SKEW * odd:
        return "utf-16-be"
    return None


def _control_byte_share(data: bytes) -> float:
    # Deleting every non-control byte leaves just the control bytes.
    return len(data.translate(None, _NON_CONTROL_BYTES)) / len(data)


def _control_share(text: str) -> float:
    return len(_CONTROL_CHARS.findall(text)) / len(text) if text else 0.0


def _binary_error(path: Path) -> DocumentReadError:
    return DocumentReadError(str(path), "binary_file", "Tệp không phải văn bản (có vẻ là tệp nhị phân)")


def _encoding_error(path: Path) -> DocumentReadError:
    return DocumentReadError(str(path), "bad_encoding", "Không đọc được mã hóa ký tự; đã thử UTF-8, UTF-16, cp1258")
