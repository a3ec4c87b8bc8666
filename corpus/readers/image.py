"""Images of pages -- PNG, JPEG, TIFF (several pages in one TIFF too) -- read by OCR."""

from __future__ import annotations

from pathlib import Path

from corpus.models import DocumentReadError, RawDocument
from corpus.ocr import OcrError, count_pages

from . import scanned
from .files import empty_file, file_mtime
from .limits import ReadSettings, check_text


def read_image(path: Path, doc_id: str, settings: ReadSettings = ReadSettings()) -> RawDocument:
    if path.stat().st_size == 0:
        raise empty_file(path)
    try:
        count = count_pages(path)
    except OcrError as exc:
        raise DocumentReadError(str(path), exc.code, exc.message) from exc
    found = scanned.read_pages(path, "image", list(range(1, count + 1)), settings)
    if not any(t.strip() for t in found.texts.values()):
        raise DocumentReadError(str(path), "no_text", "Ảnh không có chữ nào đọc được (trang trắng hoặc ảnh không phải văn bản)")
    text, pages = scanned.joined(found.texts, count)
    check_text(path, text, settings)
    return RawDocument(
        doc_id=doc_id, source=str(path), format="image", text=text, pages=pages,
        warnings=found.warnings, mtime=file_mtime(path), ocr_pages=found.confidence,
    )
