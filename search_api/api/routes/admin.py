"""Writes (upload, delete, access: administrators), the audit trail, and the state of the service."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from indexer.build import Access
from search_api.accounts import AccountError, access_groups
from search_api.api.deps import Admin, AppSettings, CurrentCaller, Service, client_address, read_scope
from search_api.api.errors import ApiError, responses
from search_api.api.routes.documents import DOCUMENT
from search_api.api.schemas import AccessChange, AccessChanged, AuditPage, Deleted, Health, Stats, UploadReport
from search_api.api.service import Upload
from search_api.audit import read_audit
from search_api.settings import Settings

# A 422 is either a report whose every file failed, or the error body (bad request).
UPLOAD_422 = {
    "description": "no file could be indexed (a report with per-file problems), or an invalid request (error body)",
    "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/UploadReport"},
                                                          {"$ref": "#/components/schemas/ErrorResponse"}]}}},
}


def _access(value: str) -> frozenset[str] | None:
    try:
        return access_groups(value)
    except AccountError as exc:
        raise ApiError(422, exc.code, exc.message) from exc


def router(settings: Settings) -> APIRouter:
    api = APIRouter(tags=["admin"])

    @api.post(
        "/api/documents",
        status_code=201,
        response_model=UploadReport,
        responses={**responses(400, 401, 403, 409, 413, 415, 503), 422: UPLOAD_422},
    )
    def upload(
        request: Request,
        admin: Admin,
        service: Service,
        files: Annotated[list[UploadFile], File(description="các tệp văn bản")],
        access: Annotated[str | None, Form(max_length=500, description="public (mặc định) hoặc các nhóm: g1,g2")] = None,
    ) -> JSONResponse:
        groups = _access(access) if access else None
        report, names = service.upload([Upload(f.filename or "", f.file) for f in files],
                                       Access(groups) if access else None)
        request.app.state.audit.record("upload", admin, {"files": names, "access": sorted(groups) if groups else "public"},
                                       client_address(request))
        by_file: dict[str, list] = {}
        for p in report.problems:
            by_file.setdefault(Path(p.path).name, []).append({"code": p.code, "level": p.level, "message": p.message})
        statuses = []
        for name in names:
            problems = by_file.get(name, [])
            failed = any(p["level"] == "error" for p in problems)
            statuses.append({"file": name, "doc_id": name, "status": "error" if failed else "indexed",
                             "problems": problems})
        body = UploadReport(files=statuses, documents_indexed=report.documents_indexed,
                            chunks_indexed=report.chunks_indexed, snapshot=report.snapshot,
                            seconds=round(report.seconds, 2))
        ok = any(s["status"] == "indexed" for s in statuses)
        return JSONResponse(status_code=201 if ok else 422, content=body.model_dump())

    @api.delete(DOCUMENT, response_model=Deleted, responses=responses(401, 403, 404, 409, 503))
    def delete(doc_id: str, request: Request, admin: Admin, service: Service) -> dict:
        report = service.delete(doc_id)
        request.app.state.audit.record("delete", admin, {"doc_id": doc_id}, client_address(request))
        return {"deleted": doc_id, "chunks_removed": report.chunks_removed, "snapshot": report.snapshot}

    @api.put("/api/documents/{doc_id:path}/access", response_model=AccessChanged,
             responses=responses(400, 401, 403, 404, 409, 422, 503))
    def set_access(doc_id: str, body: AccessChange, request: Request, admin: Admin, service: Service) -> dict:
        groups = _access(body.access)
        if service.searcher().store.document(doc_id) is None:
            raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
        report = service.set_access([doc_id], Access(groups))
        request.app.state.audit.record("access_change", admin, {"doc_id": doc_id, "access": sorted(groups) if groups else "public"},
                                       client_address(request))
        return {"doc_id": doc_id, "access": sorted(groups) if groups else "public", "changed": report.changed,
                "snapshot": report.snapshot}

    @api.get("/api/audit", response_model=AuditPage, responses=responses(401, 403, 422))
    def audit(
        admin: Admin,
        settings: AppSettings,
        user: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[str | None, Query(max_length=40, description="ISO date or time")] = None,
        action: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 200,
    ) -> dict:
        try:
            entries = read_audit(settings.index_dir, user=user, since=since, action=action, limit=limit)
        except ValueError as exc:
            raise ApiError(422, "invalid_parameter", f"Tham số không hợp lệ: {exc}") from exc
        return {"entries": entries}

    @api.get("/api/health", response_model=Health)
    def health(service: Service) -> dict:
        current = service.snapshots.current()
        return {"status": "ok", "index": current.name if current else None,
                "uptime_s": round(time.time() - service.started)}

    @api.get("/api/stats", response_model=Stats, responses=responses(401))
    def stats(caller: CurrentCaller, service: Service) -> dict:
        models = {
            "model": service.encoder.model_info() if service.encoder else None,
            "query_model": service.query_encoder.model_info() if service.query_encoder else None,
        }
        current = service.snapshots.current()
        if current is None:
            return {"documents": 0, "chunks": 0, "index_bytes": 0, "snapshot": None, **models, "last_indexing": None}
        searcher = service.searcher()
        manifest = current.manifest()
        whole = searcher.readable_docs(read_scope(caller)) is None
        return {
            **searcher.store.counts(read_scope(caller)),
            "index_bytes": service.snapshots.size_bytes(current),
            "snapshot": current.name,
            **models,
            "vectors": {"kind": searcher.vectors.kind, "size": searcher.vectors.size},
            # what the last runs did to the whole archive: for those who may read all of it
            "last_indexing": {"created_at": manifest.get("created_at"), **manifest.get("last_run", {})} if whole else None,
            "last_write": service.last_write if whole else None,
        }

    return api
