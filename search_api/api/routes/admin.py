"""Writes (upload, delete: admin token), and the state of the service."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import JSONResponse

from search_api.api.deps import Service, require_admin
from search_api.api.errors import responses
from search_api.api.routes.documents import DOCUMENT
from search_api.api.schemas import Deleted, Health, Stats, UploadReport
from search_api.api.service import Upload
from search_api.settings import Settings

# A 422 is either a report whose every file failed, or the error body (bad request).
UPLOAD_422 = {
    "description": "no file could be indexed (a report with per-file problems), or an invalid request (error body)",
    "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/UploadReport"},
                                                          {"$ref": "#/components/schemas/ErrorResponse"}]}}},
}


def router(settings: Settings) -> APIRouter:
    api = APIRouter(tags=["admin"])

    @api.post(
        "/api/documents",
        dependencies=[Depends(require_admin)],
        status_code=201,
        response_model=UploadReport,
        responses={**responses(400, 401, 403, 409, 413, 415, 503), 422: UPLOAD_422},
    )
    def upload(service: Service, files: Annotated[list[UploadFile], File(description="các tệp văn bản")]) -> JSONResponse:
        report, names = service.upload([Upload(f.filename or "", f.file) for f in files])
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

    @api.delete(DOCUMENT, dependencies=[Depends(require_admin)], response_model=Deleted,
                responses=responses(401, 403, 404, 409, 503))
    def delete(doc_id: str, service: Service) -> dict:
        report = service.delete(doc_id)
        return {"deleted": doc_id, "chunks_removed": report.chunks_removed, "snapshot": report.snapshot}

    @api.get("/api/health", response_model=Health)
    def health(service: Service) -> dict:
        current = service.snapshots.current()
        return {"status": "ok", "index": current.name if current else None,
                "uptime_s": round(time.time() - service.started)}

    @api.get("/api/stats", response_model=Stats)
    def stats(service: Service) -> dict:
        models = {
            "model": service.encoder.model_info() if service.encoder else None,
            "query_model": service.query_encoder.model_info() if service.query_encoder else None,
        }
        current = service.snapshots.current()
        if current is None:
            return {"documents": 0, "chunks": 0, "index_bytes": 0, "snapshot": None, **models, "last_indexing": None}
        searcher = service.searcher()
        manifest = current.manifest()
        return {
            **searcher.store.counts(),
            "index_bytes": service.snapshots.size_bytes(current),
            "snapshot": current.name,
            **models,
            "vectors": {"kind": searcher.vectors.kind, "size": searcher.vectors.size},
            "last_indexing": {"created_at": manifest.get("created_at"), **manifest.get("last_run", {})},
            "last_write": service.last_write,
        }

    return api
