"""The shapes of the API's answers, as Pydantic models: FastAPI checks every
answer against them and ``/openapi.json`` describes each one, so a client
generated from the schema knows what it gets.

Models that mirror a data model of the core (a citation, a document's metadata)
allow extra fields: a field added there reaches clients before it is declared
here, instead of being dropped silently.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# A query must hold more than white space. Declared in the schema only: the server's
# own check (search_api.params.check_query) refuses a blank query with its own code,
# empty_query, where a validated pattern would answer invalid_parameter.
QUERY_PATTERN = r"\S"


# ------------------------------------------------------------------ errors


class ErrorBody(BaseModel):
    code: str = Field(description="stable, for programs: invalid_parameter, unknown_document, busy, …")
    message: str = Field(description="for people, in Vietnamese")
    detail: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


# ------------------------------------------------------------------ search


class Citation(Open):
    number: str | None = Field(description='"163/TB-UBND"')
    doc_type: str | None
    issuer: str | None
    issued_date: str | None = Field(description="ISO 8601")
    subject: str | None = Field(description="trích yếu")
    heading_path: list[str]
    pages: list[int] | None = Field(description="[first, last] page, or null when the document has no pages")
    char_span: list[int] = Field(description="[start, end) of the passage in the document's text")
    event_date: str | None = None
    title: str | None = None
    ocr: bool = Field(False, description="read from a scan by OCR")
    ocr_confidence: float | None = Field(None, description="the mean OCR confidence (0-100) of its pages")


class DocumentStatus(BaseModel):
    status: str = Field(description="amended_by, replaced_by, repealed_by, corrected_by")
    doc_id: str
    number: str | None
    issued_date: str | None


class SearchHit(BaseModel):
    doc_id: str
    chunk_id: int
    score: float
    text: str
    citation: Citation
    highlights: list[list[int]] = Field(description="[start, end) offsets into text")
    kind: str | None = Field(None, description="result, shortcoming, cause, task, proposal, other")
    ranks: dict[str, int | None] = Field(default_factory=dict, description="rank on each side before fusion")
    match: str | None = Field(None, description='"number": the document bears the number the query asked for; '
                                                 '"cites:<relation>": it cites that document')
    status: list[DocumentStatus] = Field(default_factory=list, description="what later indexed documents did to it")


class FacetValue(BaseModel):
    value: str
    count: int


class DocumentHit(BaseModel):
    doc_id: str
    score: float = Field(description="its best passage's")
    citation: Citation = Field(description="its best passage's")
    passages: list[SearchHit] = Field(description="its best passages, best first")
    more: int = Field(description="its other passages among the results, not shown")
    match: str | None = None
    status: list[DocumentStatus] = Field(default_factory=list)


class SearchPage(BaseModel):
    query: str = Field(description="the query as searched (NFC, white space collapsed)")
    page: int
    k: int
    group: str = Field("passage", description="passage: results are passages; document: documents with their passages")
    total: int = Field(description="passages (group=passage) or documents (group=document) that passed the filters")
    results: list[SearchHit] = Field(description="the passages of this page (group=passage); empty for group=document")
    documents: list[DocumentHit] | None = Field(None, description="the documents of this page (group=document)")
    facets: dict[str, list[FacetValue]] = Field(description="issuer, doc_type, year, kind")
    timings_ms: dict[str, float]
    dense_query: str | None = Field(None, description="what the dense side embedded, when it differs (diacritics restored)")


# ------------------------------------------------------------------ documents


class DocumentView(Open):
    doc_id: str
    format: str
    metadata: dict[str, Any]
    sections: list[dict[str, Any]]
    pages: list[Any]
    text: str
    title: str | None
    warnings: list[str]
    body_span: list[int]
    file_url: str


class Link(BaseModel):
    source: str
    source_number: str | None = Field(description="the citing document's number")
    source_date: str | None = Field(description="the citing document's date of issue")
    target: str | None = Field(description="the indexed document it points at; null when none bears that number")
    number: str | None
    relation: str = Field(description="amends, replaces, repeals, guides, corrects, consolidates, implements, basis, cites")
    doc_type: str | None
    date: str | None
    issuer: str | None
    text: str = Field(description="the reference as written")
    char_span: list[int] | None = Field(description="where it is written in the source document's text")


class Relations(BaseModel):
    doc_id: str
    outgoing: list[Link]
    incoming: list[Link]
    status: list[DocumentStatus]


class FoundDocument(BaseModel):
    doc_id: str
    match: str = Field(description="number: it bears the number asked for; words: its title or header holds the words")
    metadata: dict[str, Any] = Field(description="number, doc_type, type_code, issuer, issued_date, event_date, subject, title")
    status: list[DocumentStatus]


class Lookup(BaseModel):
    query: str
    documents: list[FoundDocument]


class Problem(BaseModel):
    code: str
    level: str
    message: str


class FileStatus(BaseModel):
    file: str
    doc_id: str
    status: str = Field(description="indexed or error")
    problems: list[Problem]


class UploadReport(BaseModel):
    files: list[FileStatus]
    documents_indexed: int
    chunks_indexed: int
    snapshot: str | None
    seconds: float


class AccessChange(BaseModel):
    access: str = Field(max_length=500, description='"public", or the groups that may read it: "thanh-tra,van-phong"')


class AccessChanged(BaseModel):
    doc_id: str
    access: str | list[str]
    changed: bool
    snapshot: str | None


class AuditPage(BaseModel):
    entries: list[dict[str, Any]] = Field(description="newest first: ts, user, kind, action, details, address")


class Session(BaseModel):
    name: str | None
    groups: list[str]
    admin: bool
    kind: str = Field(description="user, anonymous, admin_token")


class SignIn(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Deleted(BaseModel):
    deleted: str
    chunks_removed: int
    snapshot: str | None


# ------------------------------------------------------------------ directives


class Task(BaseModel):
    assignees: list[str]
    action: str
    deadline: str | None = Field(description='normalised: "2024-08-15", "2024-09", "2024-Q3", "2024-H2"')
    deadline_text: str | None
    lead_person: str | None
    doc_id: str
    chunk_id: int
    citation: Citation


class TaskPage(BaseModel):
    query: str | None
    tasks: list[Task]
    total: int = Field(description="every match, not only this page")


class Assignee(BaseModel):
    name: str
    key: str
    tasks: int


class AssigneeList(BaseModel):
    assignees: list[Assignee]
    total: int


class Occurrence(BaseModel):
    doc_id: str
    chunk_id: int
    date: str | None
    date_kind: str | None = Field(description="issued, or event when only the meeting date is known")
    issuer: str | None
    number: str | None
    doc_type: str | None
    passage: str = Field(description="the sentence that says it")
    text: str
    citation: Citation
    score: float


class ShortcomingGroup(BaseModel):
    label: str
    documents: int
    first_date: str | None
    occurrences: list[Occurrence]


class RecurringShortcomings(BaseModel):
    query: str | None
    passage_id: int | None
    threshold: float
    groups: list[ShortcomingGroup]


class SimilarPassage(BaseModel):
    doc_id: str
    chunk_id: int
    score: float
    text: str
    kind: str | None
    citation: Citation


class SimilarPassages(BaseModel):
    passage_id: int
    results: list[SimilarPassage]


# ------------------------------------------------------------------ admin


class Health(BaseModel):
    status: str
    index: str | None = Field(description="the published snapshot")
    uptime_s: int


class VectorInfo(BaseModel):
    kind: str
    size: int


class Stats(BaseModel):
    documents: int
    chunks: int
    files: int = 0
    index_bytes: int
    snapshot: str | None
    model: dict[str, Any] | None
    query_model: dict[str, Any] | None
    vectors: VectorInfo | None = None
    last_indexing: dict[str, Any] | None
    last_write: dict[str, Any] | None = None
