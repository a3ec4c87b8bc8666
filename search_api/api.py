"""The HTTP API and the search page.

One ``IndexService`` per process owns the model, the current ``Searcher`` and
the writer. Searches read the published snapshot they started with; an upload
or a deletion builds a new snapshot in the background of the request and the
service switches to it only once it is published, so a search never sees a
half-written index and reads go on while a write runs.

Errors are JSON: ``{"error": {"code": "...", "message": "..."}}``, the message
in Vietnamese, the code stable for programs.
"""


import mimetypes
from urllib.parse import quote
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus.readers import format_of
from indexer.snapshot import IndexLockedError, NoIndexError, SnapshotDir
from indexer.store import Filters
from search_api.batching import BatchingQueryEncoder
from search_api.directives import (
    GROUP_THRESHOLD,
    assignee_list,
    find_tasks,
    recurring_shortcomings,
    similar_passages,
)
from search_api.retrieval import QueryError, Searcher
from search_api.settings import Settings

MAX_PAGE_SIZE = 50


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


def _error(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    return JSONResponse(status_code=status, content=body)


class IndexService:
    """The model, the searcher over the current snapshot, and the one writer."""

    def __init__(self, settings: Settings, encoder=None, count_tokens=None, load_model: bool = True):
        self.settings = settings
        self.snapshots = SnapshotDir(settings.index_dir)
        queries = encoder
        if encoder is None and load_model:
            from search_api.services import embedder, query_encoder

            # Passages (uploads) use the torch model, loaded when first needed.
            encoder = embedder(settings, settings.query_threads)
            queries = query_encoder(settings)
            # Warm the query encoder now: the first person to search should not wait.
            queries.encode_queries(["khởi động"])
        from search_api.services import parallel_safe

        if queries is not None and not parallel_safe(queries):
            # The torch model takes one call at a time: concurrent queries share calls.
            queries = BatchingQueryEncoder(queries)
        self.query_encoder = queries
        self.encoder = encoder
        self._count_tokens = count_tokens
        self._searcher: Searcher | None = None
        self._swap = threading.Lock()
        self._write = threading.Lock()
        self.last_write: dict | None = None
        self.started = time.time()

    @property
    def uploads_dir(self) -> Path:
        return self.settings.index_dir / "uploads"

    def searcher(self) -> Searcher:
        """The searcher over the published snapshot, reopened when a new one appears."""
        current = self.snapshots.current()
        if current is None:
            raise ApiError(503, "no_index", "Chưa có chỉ mục: hãy lập chỉ mục hoặc tải văn bản lên")
        with self._swap:
            if self._searcher is None or self._searcher.snapshot.name != current.name:
                old = self._searcher
                self._searcher = Searcher(current, self.query_encoder)
                if old is not None:
                    # Requests that hold the old searcher finish on their own connections.
                    threading.Timer(30, old.close).start()
            return self._searcher

    def indexer(self):
        from indexer.build import Indexer
        from search_api.services import index_settings, token_counter

        if self._count_tokens is None:
            self._count_tokens = token_counter(self.settings)
        return Indexer(self.settings.index_dir, _Interleaved(self.encoder), self._count_tokens, index_settings(self.settings))


class _Interleaved:
    """The service's model seen by the indexer in small batches: the model takes
    one call at a time, and short calls let the queries of other users through
    while an upload is being embedded."""

    def __init__(self, encoder, batch: int = 16):
        self.encoder = encoder
        self.batch = batch

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def model_info(self) -> dict:
        return self.encoder.model_info()

    def encode_passages(self, passages, show_progress: bool = False):
        import numpy as np

        parts = [self.encoder.encode_passages(passages[i:i + self.batch]) for i in range(0, len(passages), self.batch)]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)


def get_service(request: Request) -> IndexService:
    return request.app.state.service


# Shared by the endpoints: the service of this process.
Service = Annotated[IndexService, Depends(get_service)]


def require_admin(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_admin_token: Annotated[str | None, Header()] = None,
) -> None:
    """Writes need the admin token; with no token configured they are refused, not open."""
    expected = request.app.state.settings.admin_token
    if not expected:
        raise ApiError(403, "writes_disabled", "Chức năng ghi bị tắt: máy chủ chưa cấu hình VANBAN_ADMIN_TOKEN")
    given = x_admin_token
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not given:
        raise ApiError(401, "missing_token", "Cần mã quản trị (Authorization: Bearer …)")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "bad_token", "Mã quản trị không đúng")


def _safe_name(name: str) -> str:
    """A plain file name: no folders, no hidden files, nothing a shell would trip on."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f/]", "", base)
    if not base or base.startswith((".", "~$")):
        raise ApiError(422, "bad_filename", f"Tên tệp không hợp lệ: {name!r}")
    return base[:200]


def create_app(settings: Settings, service: IndexService | None = None) -> FastAPI:
    app = FastAPI(
        title="vanban",
        description="Tìm kiếm văn bản hành chính tiếng Việt, có trích dẫn nguồn.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.service = service or IndexService(settings)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.detail)

    @app.exception_handler(QueryError)
    async def query_error(_: Request, exc: QueryError) -> JSONResponse:
        return _error(422, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems if p["field"]) or "yêu cầu"
        return _error(422, "invalid_parameter", f"Tham số không hợp lệ: {fields}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: ("not_found", "Không tìm thấy"), 405: ("method_not_allowed", "Phương thức không được hỗ trợ")}
        code, message = messages.get(exc.status_code, ("http_error", str(exc.detail)))
        return _error(exc.status_code, code, message)

    @app.middleware("http")
    async def refuse_huge_uploads(request: Request, call_next):
        # Refuse before the body is read and spooled to disk.
        if request.method == "POST" and request.url.path == "/api/documents":
            length = request.headers.get("content-length")
            cap = settings.max_upload_mb * settings.max_upload_files * 1024 * 1024 + 1024 * 1024
            if length and length.isdigit() and int(length) > cap:
                return _error(413, "upload_too_large", f"Dữ liệu tải lên quá lớn (tối đa {settings.max_upload_mb} MB mỗi tệp)")
        return await call_next(request)

    @app.get("/api/health")
    def health(service: Service) -> dict:
        current = service.snapshots.current()
        return {"status": "ok", "index": current.name if current else None, "uptime_s": round(time.time() - service.started)}

    @app.get("/api/search")
    def search(
        service: Service,
        q: Annotated[str, Query(min_length=1, max_length=settings.max_query_chars, description="câu truy vấn")],
        k: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
        page: Annotated[int, Query(ge=1, le=20)] = 1,
        issuer: str | None = None,
        doc_type: str | None = None,
        date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
        date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
        mode: Annotated[str, Query(pattern="^(hybrid|dense|lexical)$")] = "hybrid",
        kind: Annotated[str | None, Query(pattern="^(result|shortcoming|cause|task|proposal|other)$")] = None,
    ) -> dict:
        searcher = service.searcher()
        filters = Filters(issuer=issuer or None, doc_type=doc_type or None, date_from=date_from, date_to=date_to,
                          kind=kind or None)
        offset = (page - 1) * k
        if offset + k > searcher.settings.max_k:
            raise ApiError(422, "bad_page", f"Chỉ xem được {searcher.settings.max_k} kết quả đầu tiên")
        response = searcher.search(q, k=k, filters=filters, mode=mode, offset=offset, facets=True)
        return {
            "query": response.query,
            "page": page,
            "k": k,
            "total": response.total,
            "results": [r.to_json() for r in response.results],
            "facets": response.facets,
            "timings_ms": response.timings_ms,
            "dense_query": response.dense_query,
        }

    @app.get("/api/tasks")
    def tasks(
        service: Service,
        q: Annotated[str | None, Query(max_length=settings.max_query_chars)] = None,
        assignee: Annotated[str | None, Query(max_length=200)] = None,
        due_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
        due_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
        k: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict:
        page = find_tasks(service.searcher(), (q or "").strip() or None, assignee or None, due_from, due_to, k)
        return {"query": q, "tasks": page.tasks, "total": page.total}

    @app.get("/api/assignees")
    def assignees(service: Service) -> dict:
        units = assignee_list(service.searcher())
        return {"assignees": units, "total": len(units)}

    @app.get("/api/shortcomings/recurring")
    def recurring(
        service: Service,
        q: Annotated[str | None, Query(max_length=settings.max_query_chars)] = None,
        passage_id: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict:
        if bool((q or "").strip()) == (passage_id is not None):
            raise ApiError(422, "invalid_parameter", "Cần đúng một trong hai: q hoặc passage_id")
        searcher = service.searcher()
        if passage_id is not None and not searcher.store.get_chunks([passage_id]):
            raise ApiError(404, "unknown_passage", f"Không có đoạn văn bản {passage_id}")
        groups = recurring_shortcomings(searcher, query=q, chunk_id=passage_id)
        return {
            "query": q,
            "passage_id": passage_id,
            "threshold": GROUP_THRESHOLD,
            "groups": [
                {"label": g.label, "documents": g.documents, "first_date": g.first_date,
                 "occurrences": [asdict(o) for o in g.occurrences]}
                for g in groups
            ],
        }

    @app.get("/api/passages/{passage_id}/similar")
    def similar(service: Service, passage_id: int, k: Annotated[int, Query(ge=1, le=50)] = 10) -> dict:
        found = similar_passages(service.searcher(), passage_id, k)
        if found is None:
            raise ApiError(404, "unknown_passage", f"Không có đoạn văn bản {passage_id}")
        return {"passage_id": passage_id, "results": found}

    @app.get("/api/documents/{doc_id:path}/file")
    def document_file(doc_id: str, service: Service) -> FileResponse:
        doc = service.searcher().store.document(doc_id)
        if doc is None:
            raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
        if doc["format"] == "jsonl":
            raise ApiError(404, "no_original_file", "Văn bản này là một bản ghi trong tệp JSONL, không có tệp gốc riêng")
        path = Path(doc["source"])
        if not path.is_file():
            raise ApiError(404, "file_missing", "Tệp gốc không còn trên máy chủ")
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix.lower() in (".txt", ".md"):
            media = "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type="inline")

    @app.get("/api/documents/{doc_id:path}")
    def document(doc_id: str, service: Service) -> dict:
        doc = service.searcher().store.document(doc_id)
        if doc is None:
            raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
        doc.pop("source", None)  # a server path is nobody's business
        doc["file_url"] = f"/api/documents/{quote(doc_id, safe='')}/file"
        return doc

    @app.post("/api/documents", dependencies=[Depends(require_admin)])
    def upload(service: Service, files: Annotated[list[UploadFile], File(description="các tệp văn bản")]) -> JSONResponse:
        if not files:
            raise ApiError(422, "no_files", "Chưa chọn tệp nào")
        if len(files) > settings.max_upload_files:
            raise ApiError(413, "too_many_files", f"Tối đa {settings.max_upload_files} tệp một lần")
        limit = settings.max_upload_mb * 1024 * 1024
        staged: list[tuple[str, Path]] = []
        statuses: list[dict] = []
        tmp = Path(tempfile.mkdtemp(prefix="vanban-upload-"))
        try:
            for f in files:
                name = _safe_name(f.filename or "")
                if format_of(Path(name)) is None:
                    raise ApiError(415, "unsupported_type", f"Loại tệp không được hỗ trợ: {name} (hỗ trợ .txt .md .pdf .docx .jsonl .jsonl.gz)")
                target = tmp / name
                size = 0
                with open(target, "wb") as out:
                    while chunk := f.file.read(1 << 20):
                        size += len(chunk)
                        if size > limit:
                            raise ApiError(413, "file_too_large", f"Tệp {name} vượt quá {settings.max_upload_mb} MB")
                        out.write(chunk)
                staged.append((name, target))
            if not service._write.acquire(blocking=False):
                raise ApiError(409, "busy", "Đang có một lượt cập nhật chỉ mục khác; hãy thử lại sau")
            try:
                service.uploads_dir.mkdir(parents=True, exist_ok=True)
                paths = []
                for name, target in staged:
                    final = service.uploads_dir / name
                    shutil.move(str(target), final)
                    paths.append(final)
                report = service.indexer().run(paths)
            except IndexLockedError as exc:
                raise ApiError(409, "busy", str(exc)) from exc
            finally:
                service._write.release()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        by_file: dict[str, list] = {}
        for p in report.problems:
            by_file.setdefault(Path(p.path).name, []).append({"code": p.code, "level": p.level, "message": p.message})
        for name, _ in staged:
            problems = by_file.get(name, [])
            failed = any(p["level"] == "error" for p in problems)
            if failed:
                (service.uploads_dir / name).unlink(missing_ok=True)
            statuses.append({"file": name, "doc_id": name, "status": "error" if failed else "indexed", "problems": problems})
        service.last_write = {"at": time.time(), "kind": "upload", "documents": report.documents_indexed,
                              "chunks": report.chunks_indexed, "seconds": round(report.seconds, 2)}
        ok = any(s["status"] == "indexed" for s in statuses)
        body = {"files": statuses, "documents_indexed": report.documents_indexed, "chunks_indexed": report.chunks_indexed,
                "snapshot": report.snapshot, "seconds": round(report.seconds, 2)}
        return JSONResponse(status_code=201 if ok else 422, content=body)

    @app.delete("/api/documents/{doc_id:path}", dependencies=[Depends(require_admin)])
    def delete(doc_id: str, service: Service) -> dict:
        store = service.searcher().store
        doc = store.document(doc_id)
        if doc is None:
            raise ApiError(404, "unknown_document", f"Không có văn bản {doc_id}")
        if not service._write.acquire(blocking=False):
            raise ApiError(409, "busy", "Đang có một lượt cập nhật chỉ mục khác; hãy thử lại sau")
        try:
            report = service.indexer().remove([doc_id])
        except IndexLockedError as exc:
            raise ApiError(409, "busy", str(exc)) from exc
        finally:
            service._write.release()
        source = Path(doc["source"])
        if source.parent == service.uploads_dir and source.exists():
            source.unlink()  # an uploaded file must not come back on the next indexing run
        service.last_write = {"at": time.time(), "kind": "delete", "documents": report.documents_removed}
        return {"deleted": doc_id, "chunks_removed": report.chunks_removed, "snapshot": report.snapshot}

    @app.get("/api/stats")
    def stats(service: Service) -> dict:
        current = service.snapshots.current()
        if current is None:
            return {"documents": 0, "chunks": 0, "index_bytes": 0, "snapshot": None,
                    "model": service.encoder.model_info() if service.encoder else None,
                    "query_model": service.query_encoder.model_info() if service.query_encoder else None,
                    "last_indexing": None}
        searcher = service.searcher()
        counts = searcher.store.counts()
        manifest = current.manifest()
        return {
            **counts,
            "index_bytes": service.snapshots.size_bytes(current),
            "snapshot": current.name,
            "model": service.encoder.model_info() if service.encoder else None,
            "query_model": service.query_encoder.model_info() if service.query_encoder else None,
            "vectors": {"kind": searcher.vectors.kind, "size": searcher.vectors.size},
            "last_indexing": {"created_at": manifest.get("created_at"), **manifest.get("last_run", {})},
            "last_write": service.last_write,
        }

    from web import STATIC_DIR

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def index_page() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", workers=1)


__all__ = ["ApiError", "IndexService", "create_app", "serve", "NoIndexError"]
