"""Pages without a text layer -- image files, scanned PDFs, a scanned page in a
typed PDF -- read through OCR (``corpus.ocr``) into the lines the PDF reader
rebuilds paragraphs from. Pages are read in a process pool and cached by the
file's content hash in the data directory, so indexing the same scan again (a
new chunking, a killed run) never reads a page twice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from corpus.models import DocumentReadError, PageSpan
from corpus.ocr import ImagePage, OcrCache, OcrError, OcrSettings, PageJob, PdfPage, file_sha256, ocr_available, ocr_pages
from corpus.vietnamese import nfc

from .limits import ReadSettings
from .paragraphs import Line


def unavailable(path: Path) -> DocumentReadError | None:
    """The per-file error for a scan when the OCR engine or its Vietnamese model is missing."""
    ok, message = ocr_available()
    return None if ok else DocumentReadError(str(path), "ocr_unavailable", message)


@dataclass
class ScannedPages:
    texts: dict[int, str]  # page (1-based) -> its text: lines in reading order, blank lines at gaps
    lines: dict[int, list[Line]]  # the same as lines, for joining with typed pages
    confidence: dict[int, float]  # page -> mean word confidence (0-100), for pages with text
    warnings: list[str]


def joined(texts: dict[int, str], count: int) -> tuple[str, list[PageSpan]]:
    """The text of a document that is all scan, and where each page is in it. The
    lines stay lines, as OCR laid them out: the header and closing parsers read
    wrapped recipients and two-column blocks from lines, not from rebuilt paragraphs."""
    parts: list[str] = []
    spans: list[PageSpan] = []
    at = 0
    for number in range(1, count + 1):
        if parts:
            parts.append("\n\n")
            at += 2
        text = texts.get(number, "").strip("\n")
        spans.append(PageSpan(at, at + len(text), number))
        parts.append(text)
        at += len(text)
    return "".join(parts), spans


def read_pages(path: Path, kind: str, pages: list[int], settings: ReadSettings) -> ScannedPages:
    """OCR ``pages`` (1-based) of an image file (``kind`` "image") or a PDF."""
    if len(pages) > settings.ocr_max_pages:
        raise DocumentReadError(
            str(path), "too_many_scanned_pages",
            f"Tệp có {len(pages)} trang quét, quá giới hạn {settings.ocr_max_pages} trang nhận dạng chữ "
            "(VANBAN_OCR_MAX_PAGES)")
    error = unavailable(path)
    if error is not None:
        raise error
    ocr = replace(OcrSettings(), time_limit_s=settings.ocr_page_seconds)
    digest = file_sha256(path)
    loader = ImagePage if kind == "image" else PdfPage
    jobs = [PageJob(digest, n, loader(str(path), n - 1)) for n in pages]
    cache = OcrCache.in_dir(settings.ocr_cache_dir, ocr.version()) if settings.ocr_cache_dir else None
    found = ScannedPages({}, {}, {}, [])
    try:
        for job, result, _cached in ocr_pages(jobs, ocr, cache, settings.ocr_workers):
            if isinstance(result, OcrError):
                if len(pages) == 1:
                    raise DocumentReadError(str(path), result.code, result.message)
                found.warnings.append(f"Trang {job.page}: {result.message}")
                continue
            found.warnings.extend(f"Trang {job.page}: {w}" for w in result.warnings)
            found.lines[job.page] = [Line(ln.text, [False] * len(ln.text), ln.blank_before) for ln in result.lines if ln.text]
            found.texts[job.page] = nfc(result.text)
            if not result.blank:
                found.confidence[job.page] = round(result.confidence, 1)
    finally:
        if cache is not None:
            cache.close()
    return found
