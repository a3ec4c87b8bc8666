"""JSON Lines files (plain or gzip): one document per line, read lazily.

Each record needs ``id`` (or ``_id``) and ``text``; ``title`` is optional and
every other field goes to ``RawDocument.extra``. A bad line does not stop the
file: it comes out as a warning ``ReadProblem`` in the stream, in file order.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from corpus.models import DocumentReadError, RawDocument, ReadProblem

from .files import empty_file, file_mtime, unreadable
from .limits import ReadSettings, check_text, too_many_chars

_ID_KEYS = ("id", "_id")
_MAX_REASON = 160  # a JSON error can quote a long line back
# JSON spells a character in at most 6 bytes (\u1ec7), so a longer line holds more characters than the limit
# allows (short of characters outside the BMP, 12 bytes, which documents hardly use).
_MAX_BYTES_PER_CHAR = 6
_SKIP_CHUNK = 1024 * 1024


def iter_jsonl(path: Path, settings: ReadSettings = ReadSettings()) -> Iterator[RawDocument | ReadProblem]:
    """Documents and per-line warnings of one JSONL file; raises ``DocumentReadError`` for the file.

    A record past a read limit is skipped with a warning; a line too long to hold
    an allowed record is never read whole.
    """
    mtime = file_mtime(path)
    seen: set[str] = set()
    lines = documents = 0
    cap = min(settings.max_bytes, _MAX_BYTES_PER_CHAR * settings.max_chars)
    try:
        with _open(path) as stream:
            for number, line in enumerate(_lines(stream, cap), start=1):
                if line is None:
                    lines += 1
                    yield _too_large(too_many_chars(path, settings, _subject(path, number)))
                    continue
                if not line.strip():
                    continue
                lines += 1
                item = _record(line, path, number, mtime, seen, settings)
                documents += isinstance(item, RawDocument)
                yield item
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DocumentReadError(
            str(path), "corrupt_gzip", f"Tệp gzip bị hỏng hoặc bị cắt cụt: {type(exc).__name__}: {exc}"
        ) from exc
    except OSError as exc:
        raise unreadable(path, exc) from exc
    if lines == 0:
        raise empty_file(path)
    if documents == 0:
        raise DocumentReadError(str(path), "no_records", "Tệp JSONL không có bản ghi hợp lệ nào")


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _lines(stream: IO[bytes], cap: int) -> Iterator[bytes | None]:
    """The stream's lines, each read only up to ``cap`` bytes: None for a longer one, whose rest is skipped."""
    while line := stream.readline(cap + 1):
        if len(line) <= cap or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield None


def _subject(path: Path, number: int, doc_id: str | None = None) -> str:
    record = f"Bản ghi {doc_id!r}" if doc_id is not None else "Bản ghi"
    return f"{record} ở dòng {number} của tệp {path.name}"


def _too_large(error: DocumentReadError) -> ReadProblem:
    return _warning(Path(error.path), error.code, error.message)


def _record(
    line: bytes, path: Path, number: int, mtime: float | None, seen: set[str], settings: ReadSettings
) -> RawDocument | ReadProblem:
    try:
        record = json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return _bad(path, number, f"JSON không hợp lệ ({exc})")
    if not isinstance(record, dict):
        return _bad(path, number, "không phải một đối tượng JSON")
    id_key = next((key for key in _ID_KEYS if record.get(key) not in (None, "")), None)
    raw_id = record.get(id_key) if id_key else None
    if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        return _bad(path, number, "thiếu trường id hoặc _id (chuỗi hoặc số)")
    doc_id = str(raw_id)
    text = record.get("text")
    if not isinstance(text, str):
        return _bad(path, number, f"bản ghi {doc_id!r} thiếu trường text (chuỗi)")
    if not text.strip():
        return _warning(path, "empty_record", f"Dòng {number}: bản ghi {doc_id!r} có văn bản rỗng, bỏ qua")
    if doc_id in seen:
        return _warning(path, "duplicate_id", f"Dòng {number}: id {doc_id!r} bị trùng, bỏ qua bản ghi sau")
    text = _normalise(text)
    try:
        check_text(path, text, settings, _subject(path, number, doc_id))
    except DocumentReadError as exc:
        return _too_large(exc)
    seen.add(doc_id)
    return RawDocument(
        doc_id=doc_id,
        source=str(path),
        format="jsonl",
        text=text,
        title=_title(record.get("title")),
        extra={k: v for k, v in record.items() if k not in (id_key, "title", "text")},
        mtime=mtime,
    )


def _normalise(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _title(value: Any) -> str | None:
    if value is None:
        return None
    title = _normalise(value if isinstance(value, str) else str(value)).strip()
    return title or None


def _bad(path: Path, number: int, reason: str) -> ReadProblem:
    return _warning(path, "bad_record", f"Dòng {number}: {reason[:_MAX_REASON]}, bỏ qua")


def _warning(path: Path, code: str, message: str) -> ReadProblem:
    return ReadProblem(path=str(path), code=code, message=message, level="warning")
