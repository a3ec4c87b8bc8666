"""Data that flows between the stages: read -> parse -> chunk.

Plain dataclasses so every stage can be tested alone and serialised with
``dataclasses.asdict`` for the ``--json`` output.

All character offsets are into ``RawDocument.text`` (NFC, Markdown emphasis
removed); ``end`` is exclusive, as in Python slices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageSpan:
    """Characters ``[start, end)`` of the text came from page ``page`` (1-based)."""

    start: int
    end: int
    page: int


@dataclass
class RawDocument:
    """What a reader produces: the document's text and where each part came from."""

    doc_id: str  # file name relative to the indexed root, or a JSONL record's id
    source: str  # path of the file the text came from
    format: str  # "txt", "md", "pdf", "docx", "jsonl"
    text: str  # NFC, emphasis markers removed
    pages: list[PageSpan] = field(default_factory=list)  # empty when not paginated
    # Spans that were bold in the source (Markdown ``**``, DOCX bold runs):
    # the parser uses them to find unit headings such as "Phòng Tài chính - Kế hoạch".
    bold: list[tuple[int, int]] = field(default_factory=list)
    # Paragraphs the source itself marked as headings (DOCX heading styles),
    # with their level (1 = top).
    headings: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, level)
    title: str | None = None  # JSONL ``title``; DOCX core title
    extra: dict[str, Any] = field(default_factory=dict)  # JSONL metadata fields
    encoding: str | None = None  # text files: the encoding that decoded it
    warnings: list[str] = field(default_factory=list)
    mtime: float | None = None
    # Pages read from a scan by OCR, with their mean word confidence (0-100).
    ocr_pages: dict[int, float] = field(default_factory=dict)

    def pages_for(self, start: int, end: int) -> tuple[int, int] | None:
        """First and last page of characters ``[start, end)``, or None if unpaginated."""
        if not self.pages:
            return None
        hit = [p.page for p in self.pages if p.start < max(end, start + 1) and p.end > start]
        if not hit:
            # An offset on a page boundary (e.g. an empty span): take the page before it.
            before = [p.page for p in self.pages if p.start <= start]
            return (before[-1], before[-1]) if before else None
        return (min(hit), max(hit))


@dataclass
class ReadProblem:
    """A file that could not be read (level "error") or was read with a caveat ("warning")."""

    path: str
    code: str  # stable, machine-readable: "empty_file", "corrupt_pdf", ...
    message: str  # for people, in Vietnamese
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentReadError(Exception):
    """Raised by a reader for one file; the folder walk turns it into a ReadProblem."""

    def __init__(self, path: str, code: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.code = code
        self.message = message

    def problem(self) -> ReadProblem:
        return ReadProblem(path=self.path, code=self.code, message=self.message)


@dataclass
class DocumentMetadata:
    """Header fields of an administrative document; None where the document does not state it."""

    number: str | None = None  # "163/TB-UBND"
    doc_type: str | None = None  # "Thông báo"
    type_code: str | None = None  # "TB"
    issuer: str | None = None  # "UBND huyện Thường Xuân"
    place: str | None = None
    issued_date: str | None = None  # ISO 8601
    subject: str | None = None  # trích yếu
    signer_name: str | None = None
    signer_title: str | None = None
    recipients: list[str] | None = None  # "Nơi nhận"
    # The date of the meeting or event the document reports, from its opening
    # paragraph; used to order undated documents (marked as such, never as issued_date).
    event_date: str | None = None


@dataclass
class Section:
    """A node of the section tree. ``span`` covers the heading and everything under it."""

    id: int
    parent: int | None
    level: int  # depth in the tree, 1 = top
    kind: str  # "part", "chapter", "article", "numbered", "letter", "bullet", "unit", "footnote", ...
    label: str | None  # "I", "4.2", "a", "Điều 5"; None for unit headings and bullets
    heading: str  # the heading line as written, emphasis removed
    span: tuple[int, int]
    heading_span: tuple[int, int]
    pages: tuple[int, int] | None = None
    children: list[int] = field(default_factory=list)
    # The heading lines say nothing beyond the heading itself ("a) Lĩnh vực kinh tế"),
    # unlike a numbered paragraph whose heading is cut from a longer text.
    title_only: bool = True


@dataclass
class ParsedDocument:
    raw: RawDocument
    metadata: DocumentMetadata
    sections: list[Section]  # in document order; tree via parent/children ids
    body_span: tuple[int, int]  # the part between the header and the closing block
    # A closing block inside the body (a decision followed by the regulation it
    # issues): not part of any section or passage.
    closing_span: tuple[int, int] | None = None


@dataclass
class Chunk:
    doc_id: str
    index: int  # position within the document
    heading_path: list[str]
    text: str  # the passage itself (without the heading path)
    char_span: tuple[int, int]
    pages: tuple[int, int] | None
    section_id: int | None
    n_tokens: int
    content_hash: str
