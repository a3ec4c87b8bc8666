"""Optical character recognition of scanned pages (Tesseract 5, Vietnamese model).

What the readers call:

* ``ocr_available(lang)`` -> (ok, message): the message names what to install when not ok;
* ``open_image_pages(data)`` -> the pages of an image file (multi-page TIFF too), size-checked;
* ``ocr_page(image)`` -> ``OcrPage`` (text in reading order, mean confidence, lines with boxes, warnings);
* ``OcrCache(data_dir)``: pages already read, by the file's content hash, page number and engine version;
* ``ocr_pages(jobs)``: many pages in a process pool, through the cache.

Every failure is an ``OcrError`` with a stable ``code`` and a Vietnamese ``message``.
"""

from .engine import OcrPage, OcrSettings, ocr_available, ocr_page
from .errors import PACKAGES, OcrError
from .layout import OcrLine

__all__ = ["PACKAGES", "OcrError", "OcrLine", "OcrPage", "OcrSettings", "ocr_available", "ocr_page"]
