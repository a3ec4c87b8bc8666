"""The app factory: settings, the service, error handling, the upload guard,
security headers, the routers and the page. Endpoints live in ``search_api.api.routes``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.accounts import open_accounts, throttle_for
from search_api.api import errors
from search_api.api.routes import admin, directives, documents, search, session
from search_api.api.service import IndexService
from search_api.audit import open_audit
from search_api.settings import Settings

# The page and its static files: what the meta tag of web/static/index.html allows,
# plus no framing (which only a header can say).
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# API answers are data: nothing in them may load or run anything, were a browser to open one.
API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# An original file, opened in a tab: no script, but a PDF is drawn by the browser's own
# viewer, which needs the file as plugin data and its own inline styles.
FILE_POLICY = ("default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; "
               "font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# /docs and /redoc are FastAPI's pages as it ships them: Swagger UI and ReDoc from jsDelivr,
# an inline start-up script, fonts and a favicon from their sites, and the schema from here.
# They show our own schema and nothing a user wrote, so they get these allowances; the
# search page and every answer keep the strict policies above.
DOCS_POLICY = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
               "font-src https://fonts.gstatic.com data:; "
               "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
               "worker-src blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


class SecurityHeaders:
    """Adds the security headers to every answer: the API's, errors (500s included:
    this wraps the whole stack), static files, the page, the docs and the schema."""

    def __init__(self, app: ASGIApp, docs_paths: set[str]):
        self.app = app
        self.docs_paths = docs_paths

    def policy(self, path: str) -> str:
        if path in self.docs_paths:
            return DOCS_POLICY
        if path.startswith("/api/documents/") and path.endswith("/file"):
            return FILE_POLICY
        if path.startswith("/api/") or path == "/openapi.json":
            return API_POLICY
        return PAGE_POLICY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        added.append((b"content-security-policy", self.policy(scope["path"]).encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in added if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefuseHugeUploads:
    """Refuses an upload from its Content-Length, before the body is read and spooled to disk.
    Plain ASGI: Starlette's ``@app.middleware("http")`` wraps every request in a task and
    streams, which cost every search ~0.3 ms for a check that only uploads need."""

    def __init__(self, app: ASGIApp, cap_bytes: int, max_upload_mb: int):
        self.app = app
        self.cap_bytes = cap_bytes
        self.max_upload_mb = max_upload_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/api/documents":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.cap_bytes:
                response = errors.error_response(
                    413, "upload_too_large", f"Dữ liệu tải lên quá lớn (tối đa {self.max_upload_mb} MB mỗi tệp)")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _App(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so that a 500 carries the headers too.
        docs = {p for p in (self.docs_url, self.redoc_url, self.swagger_ui_oauth2_redirect_url) if p}
        return SecurityHeaders(super().build_middleware_stack(), docs)


def create_app(settings: Settings, service: IndexService | None = None) -> FastAPI:
    app = _App(
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

    app.add_middleware(RefuseHugeUploads, cap_bytes=(settings.max_upload_mb * settings.max_upload_files + 1) * 2**20,
                       max_upload_mb=settings.max_upload_mb)

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
