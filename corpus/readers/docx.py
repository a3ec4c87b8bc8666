"""DOCX files, through python-docx, walking the body in order (paragraphs and tables).

Paragraphs are separated by a blank line, like the text files. List numbers
are rendered into the text (see ``docx_numbering``), tables become one line
per row with cells joined by " | ". Headers, footers, footnotes, comments and
text boxes are not read. Bold is recorded for paragraph runs, not inside tables.
Runs set in a pre-Unicode Vietnamese font (``.VnTime``, ``VNI-Times``) are
converted to Unicode when their text is in that font's encoding (``legacy_text``).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from corpus import legacy_text
from corpus.models import RawDocument

from .docx_numbering import ListLabels
from .docx_package import check_package, corrupt
from .files import empty_file, file_mtime
from .limits import ReadSettings, check_text, read_capped, too_many_bytes
from .spans import merge_spans

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
# Runs directly in a paragraph or wrapped in hyperlinks, insertions, fields, etc.
_PARAGRAPH_RUNS = (
    "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
    " | ./w:sdt/w:sdtContent/w:r | ./w:customXml/w:r"
)
_BLOCK_SEPARATOR = "\n\n"
_CELL_SEPARATOR = " | "
_MAX_STYLE_DEPTH = 10


@dataclass
class _Builder:
    """Accumulates blocks of text with their bold spans and heading levels."""

    pieces: list[str] = field(default_factory=list)
    length: int = 0
    bold: list[tuple[int, int]] = field(default_factory=list)
    headings: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, text: str, bold: Sequence[tuple[int, int]] = (), heading: int | None = None) -> None:
        if not text.strip():
            return
        if self.pieces:
            self.pieces.append(_BLOCK_SEPARATOR)
            self.length += len(_BLOCK_SEPARATOR)
        start = self.length
        self.pieces.append(text)
        self.length += len(text)
        self.bold.extend((start + a, start + b) for a, b in bold)
        if heading is not None:
            self.headings.append((start, self.length, heading))

    def text(self) -> str:
        return "".join(self.pieces)


class _DocxWalker:
    """Turns one document's body into text; holds the per-document caches and list counters."""

    def __init__(self, document: Any):
        self.document = document
        self.labels = ListLabels.for_document(document)
        self.builder = _Builder()
        self._style_bold: dict[str, bool | None] = {}
        self._styles: dict[tuple[WD_STYLE_TYPE, str | None], Any] = {}
        self._style_headings: dict[str | None, int | None] = {}
        self._style_numbering: dict[str | None, tuple[str | None, int | None]] = {}
        self._style_fonts: dict[tuple[str | None, str | None], str | None] = {}
        self._legacy: set[str] = set()  # legacy encodings whose fonts hold text really in them
        self.converted: set[str] = set()

    def walk(self) -> _Builder:
        self._legacy = self._legacy_in_use()
        for block in _blocks(self.document.element.body):
            if block.tag == qn("w:p"):
                self._paragraph(block)
            else:
                self.builder.add(self._table(block))
        return self.builder

    def _paragraph(self, p: Any) -> None:
        paragraph = Paragraph(p, self.document)
        text, bold = self._paragraph_text(paragraph)
        self.builder.add(text, bold, self._heading_level(paragraph))

    def _style(self, style_id: str | None, kind: WD_STYLE_TYPE) -> Any:
        # python-docx finds a style (and the default one) by scanning every style of the
        # document on each call: once per paragraph and run made long documents take minutes.
        key = (kind, style_id)
        if key not in self._styles:
            self._styles[key] = self.document.part.get_style(style_id, kind)
        return self._styles[key]

    def _paragraph_style(self, paragraph: Paragraph) -> Any:
        return self._style(paragraph._p.style, WD_STYLE_TYPE.PARAGRAPH)

    def _heading_level(self, paragraph: Paragraph) -> int | None:
        style_id = paragraph._p.style
        if style_id not in self._style_headings:
            self._style_headings[style_id] = _style_heading_level(self._paragraph_style(paragraph))
        level = self._style_headings[style_id]
        return level if level is not None else _outline_level(paragraph)

    def _numbering(self, paragraph: Paragraph) -> tuple[str | None, int]:
        """The paragraph's list (numId) and level, from its own properties or its style's."""
        num_id, ilvl = _num_pr(paragraph._p.pPr)
        if num_id is None or ilvl is None:
            style_id = paragraph._p.style
            if style_id not in self._style_numbering:
                self._style_numbering[style_id] = _style_numbering(self._paragraph_style(paragraph))
            style_num_id, style_ilvl = self._style_numbering[style_id]
            num_id = style_num_id if num_id is None else num_id
            ilvl = style_ilvl if ilvl is None else ilvl
        return num_id, ilvl or 0

    def _paragraph_text(self, paragraph: Paragraph) -> tuple[str, list[tuple[int, int]]]:
        """The paragraph's text, stripped and prefixed with its list label, and its bold spans."""
        raw, bold = self._runs(paragraph)
        # The list counter advances even for an empty item, as Word numbers those too.
        label = self._label(paragraph)
        text = raw.strip()
        shift = -(len(raw) - len(raw.lstrip()))
        if label and text:
            text = f"{label} {text}"
            shift += len(label) + 1
        shifted = [(max(0, a + shift), min(len(text), b + shift)) for a, b in bold]
        return text, merge_spans(text, shifted)

    def _runs(self, paragraph: Paragraph) -> tuple[str, list[tuple[int, int]]]:
        pieces: list[str] = []
        bold: list[tuple[int, int]] = []
        length = 0
        for r in paragraph._p.xpath(_PARAGRAPH_RUNS):
            # Per-run NFC keeps run offsets exact; a base letter and its mark
            # split across two runs is too rare to matter.
            text = unicodedata.normalize("NFC", self._unicode(r, paragraph._p.style))
            if text and self._is_bold(Run(r, paragraph), paragraph):
                bold.append((length, length + len(text)))
            pieces.append(text)
            length += len(text)
        return "".join(pieces), bold

    def _legacy_in_use(self) -> set[str]:
        """The legacy encodings whose fonts hold text in that encoding, not Unicode typed in an old template.

        Runs with characters only Unicode has are left out: a document typed in
        TCVN3 and later edited with a Unicode keyboard keeps its old fonts.
        """
        if not self._names_a_legacy_font():
            return set()
        texts: dict[str, list[str]] = {}
        for p in self.document.element.body.iter(qn("w:p")):
            for r in p.xpath(_PARAGRAPH_RUNS):
                font = legacy_text.font_encoding(self._font(r, p.style))
                if font is not None and legacy_text.may_be_legacy(text := _legacy_run_text(r)):
                    texts.setdefault(font[0], []).append(text)
        return {enc for enc, parts in texts.items() if legacy_text.detect(" ".join(parts), [enc], min_words=1)}

    def _names_a_legacy_font(self) -> bool:
        # One pass over the font settings spares the run-by-run font lookup in nearly every document.
        roots = (self.document.element.body, self.document.styles.element)
        return any(
            legacy_text.font_encoding(fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:ascii")))
            for root in roots
            for fonts in root.iter(qn("w:rFonts"))
        )

    def _unicode(self, r: Any, paragraph_style: str | None) -> str:
        """The run's text, converted when it is set in a legacy font and the document uses that encoding."""
        if not self._legacy:
            return r.text
        font = legacy_text.font_encoding(self._font(r, paragraph_style))
        if font is None or font[0] not in self._legacy:
            return r.text
        text = _legacy_run_text(r)
        if not legacy_text.may_be_legacy(text):
            return r.text
        encoding, upper = font
        self.converted.add(encoding)
        text = legacy_text.to_unicode(text, encoding)
        # The "H" fonts (.VnTimeH) draw every letter as a capital.
        return text.upper() if upper else text

    def _font(self, r: Any, paragraph_style: str | None) -> str | None:
        """The font a run's non-ASCII characters are drawn in: its own, else its style's, its paragraph's, the default."""
        own = _rfonts_name(r.rPr)
        if own is not None:
            return own
        key = (r.style, paragraph_style)
        if key not in self._style_fonts:
            self._style_fonts[key] = (
                self._style_font(self._style(r.style, WD_STYLE_TYPE.CHARACTER))
                or self._style_font(self._style(paragraph_style, WD_STYLE_TYPE.PARAGRAPH))
                or _default_font(self.document)
            )
        return self._style_fonts[key]

    def _style_font(self, style: Any) -> str | None:
        for _ in range(_MAX_STYLE_DEPTH):
            if style is None:
                return None
            name = _rfonts_name(style.element.rPr)
            if name is not None:
                return name
            style = style.base_style
        return None

    def _is_bold(self, run: Run, paragraph: Paragraph) -> bool:
        if run.bold is not None:
            return run.bold
        for style in (self._style(run._r.style, WD_STYLE_TYPE.CHARACTER), self._paragraph_style(paragraph)):
            value = self._style_is_bold(style)
            if value is not None:
                return value
        return False

    def _style_is_bold(self, style: Any) -> bool | None:
        if style is None:
            return None
        key = f"{style.type}:{style.style_id}"
        if key not in self._style_bold:
            value = None
            for _ in range(_MAX_STYLE_DEPTH):
                if style is None or value is not None:
                    break
                value, style = style.font.bold, style.base_style
            self._style_bold[key] = value
        return self._style_bold[key]

    def _label(self, paragraph: Paragraph) -> str | None:
        num_id, ilvl = self._numbering(paragraph)
        if num_id is None or num_id == "0":
            return None
        return self.labels.next_label(num_id, ilvl)

    def _table(self, tbl: Any) -> str:
        rows = []
        for tr in tbl.xpath("./w:tr"):
            cells = [self._cell(tc) for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc")]
            if any(cells):
                rows.append(_CELL_SEPARATOR.join(cells).strip())
        return "\n".join(rows)

    def _cell(self, tc: Any) -> str:
        if tc.vMerge == "continue":
            return ""  # a vertically merged cell shows its text once, in the first row
        texts = []
        for block in _blocks(tc):
            if block.tag == qn("w:p"):
                texts.append(self._paragraph_text(Paragraph(block, self.document))[0])
            else:
                texts.append(self._table(block))
        return " ".join(" ".join(texts).split())


def read_docx(path: Path, doc_id: str, settings: ReadSettings = ReadSettings()) -> RawDocument:
    data = read_capped(path, settings.max_bytes, too_many_bytes(path, settings))
    if not data:
        raise empty_file(path)
    check_package(path, data, settings)
    document = _open(path, data)
    walker = _DocxWalker(document)
    built = walker.walk()
    text = built.text()
    if not text.strip():
        raise empty_file(path)
    check_text(path, text, settings)
    return RawDocument(
        doc_id=doc_id,
        source=str(path),
        format="docx",
        text=text,
        bold=built.bold,
        headings=built.headings,
        title=_title(document),
        warnings=[legacy_text.warning(enc, "Một phần văn bản") for enc in sorted(walker.converted)],
        mtime=file_mtime(path),
    )


def _open(path: Path, data: bytes) -> Any:
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # not a zip, missing parts, wrong content type...
        raise corrupt(path, exc) from exc


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables of a body or cell, in order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag in (qn("w:sdt"), qn("w:customXml")):
            content = child.find(qn("w:sdtContent")) if child.tag == qn("w:sdt") else child
            if content is not None:
                yield from _blocks(content)


def _style_heading_level(style: Any) -> int | None:
    """The heading level a paragraph style (or one it is based on) gives: its name, "Title" or "Heading N"."""
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None:
            break
        name = style.name or ""
        if name.lower() == "title":
            return 1
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        style = style.base_style
    return None


def _outline_level(paragraph: Paragraph) -> int | None:
    outline = paragraph._p.pPr.find(qn("w:outlineLvl")) if paragraph._p.pPr is not None else None
    if outline is not None:
        level = int(outline.get(qn("w:val"), "9"))
        return level + 1 if level < 9 else None
    return None


def _style_numbering(style: Any) -> tuple[str | None, int | None]:
    """The list (numId) and level a paragraph style or the styles it is based on give, the nearest first."""
    num_id: str | None = None
    ilvl: int | None = None
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None or (num_id is not None and ilvl is not None):
            break
        own_num_id, own_ilvl = _num_pr(style.element.pPr)
        num_id = own_num_id if num_id is None else num_id
        ilvl = own_ilvl if ilvl is None else ilvl
        style = style.base_style
    return num_id, ilvl


def _num_pr(ppr: Any) -> tuple[str | None, int | None]:
    """numId and ilvl of one paragraph properties element, each None where it does not say."""
    num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
    if num_pr is None:
        return None, None
    value = _child_val(num_pr, "w:ilvl")
    return _child_val(num_pr, "w:numId"), int(value) if value is not None and value.isdigit() else None


def _child_val(element: Any, tag: str) -> str | None:
    child = element.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


def _legacy_run_text(r: Any) -> str:
    """A run's text as python-docx gives it, with soft hyphens kept: TCVN3 writes "ư" with that byte (0xAD),
    which LibreOffice saves as a ``w:softHyphen`` element."""
    children = r.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab | w:softHyphen")
    return "".join("\u00ad" if e.tag == qn("w:softHyphen") else str(e) for e in children)


def _rfonts_name(rpr: Any) -> str | None:
    """The font of a run or style's properties for characters beyond ASCII (hAnsi), else for ASCII."""
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    if fonts is None:
        return None
    return fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:ascii"))


def _default_font(document: Any) -> str | None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
    return _rfonts_name(rpr)


def _title(document: Any) -> str | None:
    try:
        title = document.core_properties.title
    except Exception:  # a damaged core.xml should not lose the body text
        return None
    title = unicodedata.normalize("NFC", title or "").strip()
    return title or None
