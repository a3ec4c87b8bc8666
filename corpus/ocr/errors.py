"""The one error OCR raises: a stable code for the reader's per-file error, and
a message in Vietnamese for the user."""

from __future__ import annotations

# Debian's packages for the engine and its Vietnamese model.
PACKAGES = "tesseract-ocr tesseract-ocr-vie"


class OcrError(Exception):
    """codes: ocr_unavailable, ocr_timeout, ocr_failed, corrupt_image, image_too_large."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
