"""Checks a DOCX's zip package against the read limits before python-docx opens it.

python-docx decompresses every part into memory and builds the whole body as
an lxml tree, so a small file can cost gigabytes and minutes: a 1 GB "zip
bomb" part, or a million empty paragraphs in 400 KB. Here the central
directory's declared sizes and compression ratios are checked first (nothing
decompressed), then the main document part is streamed through a capped
reader and parsed incrementally, counting paragraphs and characters and
stopping at the first limit passed, in constant memory.

Python's ``zipfile`` never yields more than a member's declared size (more
fails its CRC check), so the declared sizes also bound what python-docx
decompresses afterwards.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from corpus.models import DocumentReadError

from .limits import (
    RATIO_EXEMPT_BYTES,
    CappedStream,
    ReadSettings,
    TooLarge,
    compressed_too_much,
    expanding,
    too_many_bytes,
    too_many_chars,
    too_many_paragraphs,
)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARAGRAPH = _W + "p"
_TEXT = _W + "t"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "/officeDocument"
_DEFAULT_MAIN = "word/document.xml"
_MAX_RELS_BYTES = 1024 * 1024  # the package's relationships: a few hundred bytes in practice


def check_package(path: Path, data: bytes, settings: ReadSettings) -> None:
    """Raise ``DocumentReadError`` if the DOCX in ``data`` passes a read limit or is not a zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise corrupt(path, exc) from exc
    with archive:
        _check_declared(path, archive, settings)
        try:
            _check_body(path, archive, _main_part(archive), settings)
        except TooLarge:
            # Past a declared size: zipfile stops there, so this only fires on a
            # reader that trusts the stream; kept so the cap never depends on it.
            raise too_many_bytes(path, settings) from None
        except (zipfile.BadZipFile, etree.XMLSyntaxError, EOFError, OSError, ValueError) as exc:
            raise corrupt(path, exc) from exc


def corrupt(path: Path, exc: Exception) -> DocumentReadError:
    return DocumentReadError(
        str(path), "corrupt_docx", f"Tệp DOCX bị hỏng hoặc không phải DOCX: {type(exc).__name__}: {exc}"
    )


def _check_declared(path: Path, archive: zipfile.ZipFile, settings: ReadSettings) -> None:
    total = 0
    for info in archive.infolist():
        size = info.file_size
        total += size
        if size > settings.max_bytes:
            raise expanding(path, info.filename, size, settings)
        if total > settings.max_bytes:
            raise too_many_bytes(path, settings)
        if size > RATIO_EXEMPT_BYTES:
            ratio = size // max(info.compress_size, 1)
            if ratio > settings.max_compression_ratio:
                raise compressed_too_much(path, info.filename, ratio, settings)


def _main_part(archive: zipfile.ZipFile) -> str:
    """The main document part's name, from the package relationships, as python-docx finds it."""
    try:
        with archive.open("_rels/.rels") as raw:
            root = etree.fromstring(CappedStream(raw, _MAX_RELS_BYTES).read(), _parser())
    except (KeyError, TooLarge, zipfile.BadZipFile, etree.XMLSyntaxError):
        return _DEFAULT_MAIN  # python-docx then reports what is wrong with the package
    for rel in root.iter(_RELS):
        if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("Target"):
            return posixpath.normpath(rel.get("Target").lstrip("/"))
    return _DEFAULT_MAIN


def _check_body(path: Path, archive: zipfile.ZipFile, name: str, settings: ReadSettings) -> None:
    try:
        raw = archive.open(name)
    except KeyError:
        return  # no body: python-docx refuses the package with its own message
    paragraphs = chars = 0
    with raw:
        events = etree.iterparse(
            CappedStream(raw, settings.max_bytes),
            events=("end",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        for _event, element in events:
            if element.tag == _PARAGRAPH:
                paragraphs += 1
                if paragraphs > settings.max_paragraphs:
                    raise too_many_paragraphs(path, settings)
            elif element.tag == _TEXT and element.text:
                chars += len(element.text)
                if chars > settings.max_chars:
                    raise too_many_chars(path, settings)
            # Drop what has been counted, so the tree never grows past one branch.
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
