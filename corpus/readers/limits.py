"""How far one document may expand while it is read, and the errors for one that goes past.

A file's size on disk says little about what reading it costs: a DOCX is a zip
whose XML can be a thousand times its size, and python-docx keeps every part
and every paragraph in memory. So each reader checks these limits as it goes,
on what it has read so far, and stops at the first one passed, before the
expensive step (python-docx, pypdf's text extraction, the parser) ever sees
the whole document.

The defaults sit well above real administrative documents and well below what
one document may cost a shared server:

- 200 MB uncompressed: a long report with its photos is tens of MB; every part
  of a DOCX (images included) is held in memory by python-docx.
- 200,000 paragraphs: a 2,000-page document has about 40 a page, 80,000.
- 2,000 pages: the longest codes and annual reports run to a few hundred.
- 20,000,000 characters: 2,000 dense pages are about 6 million; a whole
  legal code (the Pháp điển corpus, 41,148 articles) is 64 million.
- compression ratio 200:1: Word's XML compresses 5 to 20 times, generated
  repetitive tables up to about 100; DEFLATE cannot pass about 1,030, which is
  where "zip bombs" sit. Parts under 1 MB are exempt, whatever their ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from corpus.models import DocumentReadError

from .files import unreadable

_MB = 1024 * 1024
# Small parts compress very well (empty tables, repeated styles) and cost nothing.
RATIO_EXEMPT_BYTES = _MB


@dataclass(frozen=True)
class ReadSettings:
    """Limits on one document and how the folder walk treats symbolic links."""

    max_mb: int = 200  # uncompressed bytes, in MB
    max_paragraphs: int = 200_000
    max_pages: int = 2_000
    max_chars: int = 20_000_000
    max_compression_ratio: int = 200
    # Links found while walking a folder that lead out of it are skipped unless this is set.
    follow_symlinks: bool = False
    # Scans: OCR'd pages are cached in this folder (the data directory, outside the
    # snapshots; None: not cached); at most this many pages a file, this long a page.
    ocr_cache_dir: Path | None = None
    ocr_max_pages: int = 300
    ocr_page_seconds: float = 60.0
    ocr_workers: int | None = None  # processes; None: one per CPU

    @property
    def max_bytes(self) -> int:
        return self.max_mb * _MB


class TooLarge(Exception):
    """Raised by a capped stream past its limit; readers turn it into their own error."""


class CappedStream:
    """A binary stream that raises ``TooLarge`` once more than ``cap`` bytes have come out of it."""

    def __init__(self, raw: BinaryIO, cap: int):
        self._raw = raw
        self._left = cap

    def read(self, size: int = -1) -> bytes:
        # Never ask for more than one byte past the cap: a stream that would
        # expand without end stops here, not in memory.
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._raw.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise TooLarge
        return data


def read_capped(path: Path, cap: int, too_large: DocumentReadError) -> bytes:
    """The file's bytes, raising ``too_large`` without reading further once it has more than ``cap``."""
    try:
        if path.stat().st_size > cap:
            raise too_large
        with path.open("rb") as raw:
            return CappedStream(raw, cap).read()
    except TooLarge:
        raise too_large from None  # the file grew after the stat
    except OSError as exc:
        raise unreadable(path, exc) from exc


def check_text(path: Path, text: str, settings: ReadSettings, subject: str | None = None) -> None:
    """Characters and paragraphs (non-blank lines) of a document's text, against the limits.

    ``subject`` names what is refused in the message (default: the file).
    """
    if len(text) > settings.max_chars:
        raise too_many_chars(path, settings, subject)
    # A newline count under the limit settles it without splitting a long text.
    if text.count("\n") >= settings.max_paragraphs and _paragraphs(text) > settings.max_paragraphs:
        raise too_many_paragraphs(path, settings, subject)


def _paragraphs(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip())


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # Vietnamese groups thousands with dots


def _too_large(path: Path, subject: str | None, what: str, variable: str) -> DocumentReadError:
    return DocumentReadError(
        str(path),
        "too_large_document",
        f"{subject or f'Tệp {path.name}'} {what}, vượt giới hạn cho một văn bản (đặt VANBAN_{variable} để đổi); bỏ qua",
    )


def too_many_chars(path: Path, settings: ReadSettings, subject: str | None = None) -> DocumentReadError:
    return _too_large(path, subject, f"có hơn {_number(settings.max_chars)} ký tự", "MAX_DOCUMENT_CHARS")


def too_many_paragraphs(path: Path, settings: ReadSettings, subject: str | None = None) -> DocumentReadError:
    return _too_large(path, subject, f"có hơn {_number(settings.max_paragraphs)} đoạn văn", "MAX_DOCUMENT_PARAGRAPHS")


def too_many_pages(path: Path, settings: ReadSettings) -> DocumentReadError:
    return _too_large(path, None, f"có hơn {_number(settings.max_pages)} trang", "MAX_DOCUMENT_PAGES")


def too_many_bytes(path: Path, settings: ReadSettings) -> DocumentReadError:
    return _too_large(path, None, f"lớn hơn {_number(settings.max_mb)} MB khi đọc (giải nén)", "MAX_DOCUMENT_MB")


def expanding(path: Path, member: str, declared: int, settings: ReadSettings) -> DocumentReadError:
    """A zip member whose declared size alone passes the byte limit."""
    return DocumentReadError(
        str(path),
        "expanding_file",
        f"Tệp {path.name}: phần {member} giải nén ra {_number(declared)} byte, vượt giới hạn "
        f"{_number(settings.max_mb)} MB cho một văn bản (đặt VANBAN_MAX_DOCUMENT_MB để đổi); bỏ qua",
    )


def compressed_too_much(path: Path, member: str, ratio: int, settings: ReadSettings) -> DocumentReadError:
    return DocumentReadError(
        str(path),
        "expanding_file",
        f"Tệp {path.name}: phần {member} nén với tỉ lệ {_number(ratio)}:1, vượt giới hạn "
        f"{_number(settings.max_compression_ratio)}:1 (có thể là \"bom nén\"; đặt VANBAN_MAX_COMPRESSION_RATIO "
        "để đổi); bỏ qua",
    )
