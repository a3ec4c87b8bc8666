"""A document as a whole: its metadata, section tree and text, and its original file."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.convertors import Convertor, register_url_convertor

from indexer.access import readable_by
from search_api.api.deps import CurrentCaller, CurrentSearcher, client_address, read_scope
from search_api.api.errors import ApiError, responses
from search_api.api.schemas import QUERY_PATTERN, DocumentView, Lookup, Relations
from search_api.lookup import lookup_documents
from search_api.params import limits_of
from search_api.relations import document_relations
from search_api.settings import Settings

# What an original file is served as, by the suffixes that corpus/readers/walk.py
# reads (a JSONL record has no file of its own); the schema declares each of these.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".doc": "application/msword",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
OTHER_FILE = "application/octet-stream"


class DocumentIdConvertor(Convertor[str]):
    """A document id in a path: anything, "/" included, except what ends in "/file",
    "/relations" or "/access", which name a document's own resources whatever the method: DELETE
    .../file is refused with 405 (Allow: GET), as the schema says, not taken for the
    deletion of a document "x/file" (whose page GET could never show either)."""

    regex = r".*(?<!/file)(?<!/relations)(?<!/access)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("document_id", DocumentIdConvertor())
DOCUMENT = "/api/documents/{doc_id:document_id}"


def file_url(doc_id: str) -> str:
    return f"/api/documents/{quote(doc_id, safe='')}/file"


def readable_document(searcher, caller, doc_id: str) -> dict:
    """The document, if it exists and the caller may read it; otherwise 404 -- the same
    answer for both, so that a restricted document's existence is not given away."""
    groups = read_scope(caller)
    doc = searcher.store.document(doc_id)
    if doc is None or (groups is not None and not readable_by(searcher.store.access_of(doc_id), groups)):
        raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
    return doc


def router(settings: Settings) -> APIRouter:
    limits = limits_of(settings)
    api = APIRouter(tags=["documents"])

    @api.get("/api/lookup", response_model=Lookup, responses=responses(401, 422, 503))
    def lookup(
        caller: CurrentCaller,
        searcher: CurrentSearcher,
        q: Annotated[str, Query(min_length=1, description="số văn bản hoặc tên, trích yếu",
                                json_schema_extra={"maxLength": limits.max_query_chars, "pattern": QUERY_PATTERN})],
        k: Annotated[int, Query(ge=1, le=limits.max_page_size)] = 10,
    ) -> dict:
        found = lookup_documents(searcher.store, q, limits, k, searcher.readable_docs(read_scope(caller)))
        return {"query": q, "documents": [asdict(d) for d in found]}

    # Declared before /api/documents/{doc_id}: a document id may itself contain "/".
    @api.get(
        "/api/documents/{doc_id:path}/file",
        response_class=FileResponse,
        responses={200: {"content": {media.split(";")[0]: {} for media in [*FILE_TYPES.values(), OTHER_FILE]},
                         "description": "the original file"},
                   **responses(401, 404, 503)},
    )
    def document_file(doc_id: str, request: Request, caller: CurrentCaller, searcher: CurrentSearcher) -> FileResponse:
        doc = readable_document(searcher, caller, doc_id)
        if doc["format"] == "jsonl":
            raise ApiError(404, "no_original_file", "Văn bản này là một bản ghi trong tệp JSONL, không có tệp gốc riêng")
        path = Path(doc["source"])
        if not path.is_file():
            raise ApiError(404, "file_missing", "Tệp gốc không còn trên máy chủ")
        request.app.state.audit.record("download", caller, {"doc_id": doc_id}, client_address(request))
        media = FILE_TYPES.get(path.suffix.lower(), OTHER_FILE)
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type="inline")

    @api.get("/api/documents/{doc_id:path}/relations", response_model=Relations, responses=responses(401, 404, 503))
    def relations(doc_id: str, caller: CurrentCaller, searcher: CurrentSearcher) -> dict:
        readable_document(searcher, caller, doc_id)
        return document_relations(searcher.store, doc_id, searcher.readable_docs(read_scope(caller)))

    @api.get(DOCUMENT, response_model=DocumentView, responses=responses(401, 404, 503))
    def document(doc_id: str, request: Request, caller: CurrentCaller, searcher: CurrentSearcher) -> dict:
        doc = readable_document(searcher, caller, doc_id)
        request.app.state.audit.record("open_document", caller, {"doc_id": doc_id}, client_address(request))
        doc.pop("source", None)  # a server path is nobody's business
        doc["file_url"] = file_url(doc_id)
        return doc

    return api
