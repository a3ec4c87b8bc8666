"""Page images out of image files and scanned PDF pages, with bounded memory.

An image's size is known from its header before any pixel is decoded; one too
large to decode is refused with a clear message. A JPEG is the exception: its
decoder can scale by 1/2 to 1/8 on the way (``Image.draft``), so a huge photo
is read small. Pillow's own guard against decompression bombs is set to the
same limits, deliberately, for every image this process opens.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence, UnidentifiedImageError

from .errors import OcrError

# Largest image decoded whole: 100 million pixels is a 600-dpi A3 page in colour
# (70 MP) with room to spare, and 300 MB as RGB.
MAX_DECODE_PIXELS = 100_000_000
# Pillow's guard against decompression bombs, set deliberately to that limit for
# every image this process opens: it warns above it and refuses at twice it, when
# the file is opened. A JPEG between the two is read at a reduced scale.
Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS
MAX_JPEG_PIXELS = 2 * MAX_DECODE_PIXELS
# Pages read from one file before the rest are left out (a page limit per file).
MAX_PAGES = 500


def _too_large(width: int, height: int, limit: int) -> OcrError:
    return OcrError(
        "image_too_large",
        f"Ảnh quá lớn để nhận dạng chữ ({width}×{height} điểm ảnh; tối đa {limit // 1_000_000} triệu điểm ảnh)",
    )


def _bomb(exc: Image.DecompressionBombError) -> OcrError:
    """Pillow refused the file when opening it; its message has the pixel count."""
    numbers = [int(n) for n in re.findall(r"\d+", str(exc))]
    size = f"{numbers[0] // 1_000_000} triệu điểm ảnh; " if numbers else ""
    return OcrError("image_too_large",
                    f"Ảnh quá lớn để nhận dạng chữ ({size}tối đa {MAX_DECODE_PIXELS // 1_000_000} triệu điểm ảnh)")


def _corrupt(exc: BaseException) -> OcrError:
    return OcrError("corrupt_image", f"Tệp ảnh bị hỏng hoặc không phải ảnh, không đọc được ({type(exc).__name__}: {exc})")


def _open(source: Path | bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own limits decide below; Pillow's warning would only repeat them.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if isinstance(source, bytes):
                return Image.open(io.BytesIO(source))
            return Image.open(source)
    except Image.DecompressionBombError as exc:
        raise _bomb(exc) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _corrupt(exc) from exc


def load_frame(frame: Image.Image) -> Image.Image:
    """The current frame decoded, within the limits; a copy independent of the file."""
    width, height = frame.size
    pixels = width * height
    if pixels > MAX_DECODE_PIXELS:
        if frame.format != "JPEG" or pixels > MAX_JPEG_PIXELS:
            raise _too_large(width, height, MAX_DECODE_PIXELS)
        scale = (MAX_DECODE_PIXELS / 4 / pixels) ** 0.5
        frame.draft(frame.mode, (max(1, int(width * scale)), max(1, int(height * scale))))
        if frame.size[0] * frame.size[1] > MAX_DECODE_PIXELS:
            raise _too_large(width, height, MAX_DECODE_PIXELS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            frame.load()
            return frame.copy()
    except Image.DecompressionBombError as exc:
        raise _bomb(exc) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _corrupt(exc) from exc


def count_pages(source: Path | bytes) -> int:
    with _open(source) as image:
        return getattr(image, "n_frames", 1)


def open_image_pages(source: Path | bytes, max_pages: int = MAX_PAGES) -> Iterator[Image.Image]:
    """Each page of an image file (a multi-page TIFF has several), decoded one at a time.

    Raises ``OcrError`` (corrupt_image, image_too_large) when the file or a page
    cannot be read; pages before a broken one have been yielded already."""
    with _open(source) as image:
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > max_pages:
                    break
                yield load_frame(frame)
        except OcrError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise _corrupt(exc) from exc


def pdf_page_image(page: Any) -> Image.Image | None:
    """The scanned image of a pypdf page: the largest image the page draws, or None
    when it draws none. Its size is checked before it is decoded."""
    try:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        candidates = []
        for name in xobjects:
            obj = xobjects[name].get_object()
            if obj.get("/Subtype") == "/Image":
                candidates.append((int(obj.get("/Width", 0)) * int(obj.get("/Height", 0)), name, obj))
    except Exception as exc:  # a malformed page dictionary: the page is unreadable, not the run
        raise _corrupt(exc) from exc
    if not candidates:
        return None
    pixels, name, obj = max(candidates, key=lambda c: c[0])
    width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
    filters = obj.get("/Filter")
    is_jpeg = filters == "/DCTDecode" or (isinstance(filters, list) and filters[-1:] == ["/DCTDecode"])
    if pixels > (MAX_JPEG_PIXELS if is_jpeg else MAX_DECODE_PIXELS):
        raise _too_large(width, height, MAX_DECODE_PIXELS)
    try:
        if is_jpeg and filters == "/DCTDecode":
            # The stream is a JPEG file: decode it here, scaled down if need be.
            return load_frame(_open(obj.get_data()))
        for image in page.images:
            if image.name.lstrip("/").split(".")[0] == str(name).lstrip("/"):
                return load_frame(image.image)
        return load_frame(page.images[0].image)
    except OcrError:
        raise
    except Exception as exc:  # pypdf raises many kinds on broken streams
        raise _corrupt(exc) from exc


@dataclass(frozen=True)
class ImagePage:
    """Page ``index`` (0-based) of an image file, loaded when called: a job for
    ``ocr_pages`` that a worker process decodes itself."""

    path: str
    index: int = 0

    def __call__(self) -> Image.Image:
        with _open(Path(self.path)) as image:
            try:
                image.seek(self.index)
            except (EOFError, OSError, ValueError) as exc:
                raise _corrupt(exc) from exc
            return load_frame(image)


@dataclass(frozen=True)
class PdfPage:
    """The scanned image of page ``index`` (0-based) of a PDF, loaded when called."""

    path: str
    index: int

    def __call__(self) -> Image.Image:
        from pypdf import PdfReader

        try:
            reader = PdfReader(self.path)
            if reader.is_encrypted:
                reader.decrypt("")
            page = reader.pages[self.index]
        except Exception as exc:  # pypdf raises many kinds on a broken file
            raise _corrupt(exc) from exc
        image = pdf_page_image(page)
        if image is None:
            raise OcrError("ocr_failed", f"Trang {self.index + 1} không có ảnh quét để nhận dạng chữ")
        return image
