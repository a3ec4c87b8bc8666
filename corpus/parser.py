"""RawDocument -> ParsedDocument: header metadata plus the section tree."""

from __future__ import annotations

from corpus.dates import find_dates
from corpus.doctypes import code_for_type, type_for_code
from corpus.header import parse_header, parse_number
from corpus.lines import split_lines
from corpus.models import DocumentMetadata, ParsedDocument, RawDocument
from corpus.structure import build_sections

# Metadata fields of JSONL exports, by the names seen in real exports
# (e.g. the Official Gazette's "so_ky_hieu") -> our field.
EXPORT_FIELDS = {
    "number": "number",
    "so_ky_hieu": "number",
    "doc_type": "doc_type",
    "loai_van_ban": "doc_type",
    "issuer": "issuer",
    "co_quan_ban_hanh": "issuer",
    "issued_date": "issued_date",
    "ngay_ban_hanh": "issued_date",
    "subject": "subject",
    "trich_yeu": "subject",
    "signer_name": "signer_name",
    "nguoi_ky": "signer_name",
    "signer_title": "signer_title",
    "place": "place",
}


def parse_document(raw: RawDocument) -> ParsedDocument:
    lines = split_lines(raw.text)
    header = parse_header(raw.text, lines)
    meta = header.metadata
    if raw.extra or raw.title:
        _apply_export_fields(meta, raw)
    skip = [header.closing_span] if header.closing_span else []
    sections = build_sections(raw, lines, header.body_start, header.body_end, skip=skip, plain=header.plain_spans)
    return ParsedDocument(
        raw=raw,
        metadata=meta,
        sections=sections,
        body_span=(header.body_start, header.body_end),
        closing_span=header.closing_span,
    )


def _apply_export_fields(meta: DocumentMetadata, raw: RawDocument) -> None:
    """A JSONL record's own metadata fills what the text did not state."""
    for key, value in raw.extra.items():
        field = EXPORT_FIELDS.get(key)
        if field is None or value in (None, "") or getattr(meta, field) is not None:
            continue
        value = str(value).strip()
        if field == "issued_date":
            dates = find_dates(value)
            value = dates[0][2] if dates else None
        elif field == "number":
            number, code = parse_number(value)
            value = number or value
            if meta.type_code is None and code:
                meta.type_code = code
        if value:
            setattr(meta, field, value)
    if meta.doc_type is None and meta.type_code:
        meta.doc_type = type_for_code(meta.type_code)
    if meta.type_code is None and meta.doc_type:
        meta.type_code = code_for_type(meta.doc_type)
    if meta.subject is None and raw.title:
        meta.subject = raw.title

