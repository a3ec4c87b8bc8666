"""PDF files, through pypdf's text extraction.

Bold text is found from the font of each text fragment (pypdf's
``visitor_text``): a ``/BaseFont`` name with "Bold" (or Black, Heavy,
Semibold, Demi), or a font descriptor with a weight of 600 or more or the
ForceBold flag. Text drawn bold by stroking a regular font (what Word does
for fonts without a bold face) is not detected.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from corpus.models import DocumentReadError, RawDocument
from corpus.ocr import PACKAGES

from . import scanned
from .files import empty_file, file_mtime
from .limits import ReadSettings, check_text, read_capped, too_many_bytes, too_many_chars, too_many_pages
from .paragraphs import Line, rebuild
from .spans import nfc_with_map, remap_flags, spans_from_flags

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_FORCE_BOLD = 1 << 18
_BOLD_WEIGHT = 600
_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(\d{1,4})(?:\s*-)?$")
# How far past the previous fragment pypdf's output may have inserted
# characters (spaces, line breaks) before the next fragment's text.
_ALIGN_SLACK = 200


def read_pdf(path: Path, doc_id: str, settings: ReadSettings = ReadSettings()) -> RawDocument:
    data = read_capped(path, settings.max_bytes, too_many_bytes(path, settings))
    if not data:
        raise empty_file(path)
    reader = _open(path, data)
    if len(reader.pages) > settings.max_pages:
        raise too_many_pages(path, settings)
    warnings: list[str] = []
    pages: list[list[Line]] = []
    failures: list[str] = []
    chars = 0
    for number in range(1, len(reader.pages) + 1):
        try:
            text, bold = _extract_page(reader.pages[number - 1])
        except Exception as exc:  # one broken page must not lose the others
            failures.append(f"trang {number}: {type(exc).__name__}: {exc}")
            text, bold = "", []
        chars += len(text)
        if chars > settings.max_chars:
            raise too_many_chars(path, settings)
        pages.append(_page_lines(text, bold, number))
    if len(failures) == len(pages):
        raise DocumentReadError(str(path), "corrupt_pdf", f"Tệp PDF bị hỏng, không trích được chữ ({failures[0]})")
    warnings.extend(f"Không trích được chữ ở {failure}" for failure in failures)
    confidence: dict[int, float] = {}
    # Pages without a text layer that hold an image: scanned paper.
    empty = [n for n, lines in enumerate(pages, start=1) if not lines and _has_image(reader.pages[n - 1])]
    if empty:
        # Pages without a text layer: scanned paper, read by OCR when the engine is there.
        if any(pages) and scanned.unavailable(path) is not None:
            warnings.append(f"Các trang không có chữ (có thể là ảnh quét; cài {PACKAGES} để nhận dạng): "
                            f"{', '.join(map(str, empty))}")
        else:
            found = scanned.read_pages(path, "pdf", empty, settings)
            confidence = found.confidence
            warnings.extend(found.warnings)
            if not any(pages[n - 1] for n in range(1, len(pages) + 1) if n not in empty):  # all scan: lines as OCR laid them out
                if not any(t.strip() for t in found.texts.values()):
                    raise DocumentReadError(str(path), "no_text", "PDF quét không có chữ nào đọc được (OCR)")
                text, spans = scanned.joined(found.texts, len(pages))
                check_text(path, text, settings)
                return RawDocument(doc_id=doc_id, source=str(path), format="pdf", text=text, pages=spans,
                                   warnings=warnings, mtime=file_mtime(path), ocr_pages=confidence)
            for number, lines in found.lines.items():
                pages[number - 1] = lines
            blank = [str(n) for n in empty if not pages[n - 1]]
            if blank:
                warnings.append(f"Các trang không có chữ: {', '.join(blank)}")
    if not any(pages):
        raise DocumentReadError(str(path), "no_text", "PDF không có chữ nào")
    rebuilt = rebuild(pages)
    check_text(path, rebuilt.text, settings)
    return RawDocument(
        doc_id=doc_id,
        source=str(path),
        format="pdf",
        text=rebuilt.text,
        pages=rebuilt.pages,
        bold=spans_from_flags(rebuilt.text, rebuilt.bold),
        warnings=warnings,
        mtime=file_mtime(path),
        ocr_pages=confidence,
    )


def _open(path: Path, data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _encrypted(path, "PDF được mã hóa, không mở được (cần mật khẩu)")
        if len(reader.pages) == 0:
            raise DocumentReadError(str(path), "corrupt_pdf", "Tệp PDF không có trang nào")
    except DocumentReadError:
        raise
    except DependencyError:
        raise _encrypted(path, "PDF được mã hóa AES, cần cài gói 'cryptography' để mở") from None
    except FileNotDecryptedError:
        raise _encrypted(path, "PDF được mã hóa, không mở được (cần mật khẩu)") from None
    except Exception as exc:  # pypdf raises many types for damaged files
        raise DocumentReadError(
            str(path), "corrupt_pdf", f"Tệp PDF bị hỏng hoặc không phải PDF: {type(exc).__name__}: {exc}"
        ) from exc
    return reader


def _encrypted(path: Path, message: str) -> DocumentReadError:
    return DocumentReadError(str(path), "encrypted_pdf", message)


def _extract_page(page: Any) -> tuple[str, list[bool]]:
    """The page's text and a bold flag per character."""
    fragments: list[tuple[str, bool]] = []
    bold_fonts: dict[int, bool] = {}

    def visit(text: str, _cm: Any, _tm: Any, font: Any, _size: Any) -> None:
        if text.strip():
            key = id(font)
            if key not in bold_fonts:
                bold_fonts[key] = _is_bold_font(font)
            fragments.append((text, bold_fonts[key]))

    text = page.extract_text(visitor_text=visit)
    return text, _align_bold(text, fragments)


def _align_bold(text: str, fragments: list[tuple[str, bool]]) -> list[bool]:
    """Find each visited fragment in the extracted text, in order, and flag bold ones."""
    flags = [False] * len(text)
    cursor = 0
    for fragment, bold in fragments:
        needle = fragment.strip()
        at = text.find(needle, cursor, cursor + len(fragment) + _ALIGN_SLACK)
        if at < 0:
            continue
        if bold:
            flags[at : at + len(needle)] = [True] * len(needle)
        cursor = at + len(needle)
    return flags


def _is_bold_font(font: Any) -> bool:
    if not font:
        return False
    font = _resolve(font)
    if _BOLD_NAME.search(str(font.get("/BaseFont", ""))):
        return True
    descriptor = _resolve(font.get("/FontDescriptor"))
    if descriptor is None and "/DescendantFonts" in font:
        descendants = _resolve(font["/DescendantFonts"])
        descendant = _resolve(descendants[0]) if descendants else None
        if descendant is not None and _BOLD_NAME.search(str(descendant.get("/BaseFont", ""))):
            return True
        descriptor = _resolve(descendant.get("/FontDescriptor")) if descendant is not None else None
    if descriptor is None:
        return False
    weight = _resolve(descriptor.get("/FontWeight", 0))
    flags = _resolve(descriptor.get("/Flags", 0))
    try:
        return float(weight) >= _BOLD_WEIGHT or bool(int(flags) & _FORCE_BOLD)
    except (TypeError, ValueError):
        return False


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _page_lines(text: str, bold: list[bool], number: int) -> list[Line]:
    """Normalise a page's text (NFC, single spaces) into non-empty lines."""
    text, mapping = nfc_with_map(text)
    bold = remap_flags(bold, mapping, len(text))
    lines: list[Line] = []
    blank = False
    pos = 0
    for raw in text.split("\n"):
        line = _clean_line(raw, bold[pos : pos + len(raw)])
        pos += len(raw) + 1
        if line.text:
            line.blank_before = blank and bool(lines)
            lines.append(line)
            blank = False
        else:
            blank = True
    return _drop_page_number(lines, number)


def _clean_line(raw: str, bold: list[bool]) -> Line:
    chars: list[str] = []
    flags: list[bool] = []
    for ch, flag in zip(raw, bold, strict=True):
        if ch == "\xad":  # soft hyphen: an invisible break opportunity
            continue
        if ch.isspace():
            if not chars or chars[-1] == " ":
                continue
            ch, flag = " ", False
        chars.append(ch)
        flags.append(flag)
    while chars and chars[-1] == " ":
        chars.pop()
        flags.pop()
    return Line("".join(chars), flags)


def _has_image(page: Any) -> bool:
    try:
        resources = page.get("/Resources") or {}
        objects = resources.get("/XObject") or {}
        return any(obj.get_object().get("/Subtype") == "/Image" for obj in objects.values())
    except Exception:  # a broken resource dictionary: let the OCR step try and say what failed
        return True


def _drop_page_number(lines: list[Line], number: int) -> list[Line]:
    """Drop a first or last line that is just this page's number."""
    for index in (0, -1):
        if lines:
            m = _PAGE_NUMBER.match(lines[index].text)
            if m and int(m.group(1)) == number:
                lines.pop(index)
    return lines
