"""Optical character recognition of scanned pages (Tesseract 5, Vietnamese model).

What the readers call:

* ``ocr_available(lang)`` -> (ok, message): when not ok, the message says what to install;
* ``open_image_pages(path)`` -> the pages of an image file (multi-page TIFF too), size-checked;
  ``pdf_page_image(page)`` -> the scanned image of a pypdf page, or None;
* ``ocr_page(image)`` -> ``OcrPage``: text in reading order, mean confidence, lines with boxes, warnings;
* ``OcrCache.in_dir(data_dir, settings.version())`` with ``file_sha256(path)``: pages read before;
* ``ocr_pages(jobs, settings, cache)``: many pages in a process pool, through the cache; a job's
  image may be a loader (``ImagePage(path, i)``, ``PdfPage(path, i)``) that the worker calls.

Every failure is an ``OcrError`` with a stable ``code`` and a Vietnamese ``message``.
"""

from .cache import OcrCache, file_sha256
from .engine import OcrPage, OcrSettings, ocr_available, ocr_page
from .errors import PACKAGES, OcrError
from .images import ImagePage, PdfPage, count_pages, open_image_pages, pdf_page_image
from .layout import OcrLine
from .pool import PageJob, ocr_pages

__all__ = [
    "PACKAGES", "ImagePage", "OcrCache", "OcrError", "OcrLine", "OcrPage", "OcrSettings", "PageJob", "PdfPage",
    "count_pages", "file_sha256",
    "ocr_available", "ocr_page", "ocr_pages", "open_image_pages", "pdf_page_image",
]
