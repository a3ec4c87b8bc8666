"""The app factory: settings, the service, error handling, the upload guard,
the routers and the page. Endpoints live in ``search_api.api.routes``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from search_api.accounts import open_accounts, throttle_for
from search_api.api import errors
from search_api.api.routes import admin, directives, documents, search, session
from search_api.api.service import IndexService
from search_api.audit import open_audit
from search_api.settings import Settings


def create_app(settings: Settings, service: IndexService | None = None) -> FastAPI:
    app = FastAPI(
        title="vanban",
        description="Tìm kiếm văn bản hành chính tiếng Việt, có trích dẫn nguồn.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.service = service or IndexService(settings)
    app.state.accounts = open_accounts(settings)
    app.state.audit = open_audit(settings)
    app.state.throttle = throttle_for(settings)
    errors.install(app)

    @app.middleware("http")
    async def refuse_huge_uploads(request: Request, call_next):
        # Refuse from Content-Length, before the body is read and spooled to disk.
        if request.method == "POST" and request.url.path == "/api/documents":
            length = request.headers.get("content-length")
            cap = (settings.max_upload_mb * settings.max_upload_files + 1) * 1024 * 1024
            if length and length.isdigit() and int(length) > cap:
                return errors.error_response(
                    413, "upload_too_large", f"Dữ liệu tải lên quá lớn (tối đa {settings.max_upload_mb} MB mỗi tệp)"
                )
        return await call_next(request)

    for concern in (search, documents, directives, admin, session):
        app.include_router(concern.router(settings))

    from web import STATIC_DIR

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def index_page() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", workers=1)
