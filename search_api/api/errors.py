"""Every error the API answers: ``{"error": {"code", "message", "detail"?}}``,
the code stable for programs, the message in Vietnamese; and the OpenAPI
declarations of those answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.errors import DiskFullError
from search_api.api.schemas import ErrorResponse
from search_api.params import ParamError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers


def error_response(status: int, code: str, message: str, detail: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    return JSONResponse(status_code=status, content=body, headers=headers)


_DESCRIPTIONS = {
    400: "a body that cannot be read (broken multipart data)",
    401: "no valid credential: none where one is needed, a token unknown or revoked, a session expired, a token in the address",
    403: "not allowed: not an administrator, or writes disabled",
    404: "unknown id",
    409: "another write is in progress",
    413: "upload too large",
    415: "unsupported file type",
    429: "too many failed sign-ins: wait Retry-After seconds",
    422: "invalid parameters, or nothing could be indexed",
    503: "no index yet",
    507: "the disk is full: nothing was changed, the published index still answers",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for an operation's error answers. An operation that writes
    (one that can find another write in progress, 409) can also find the disk full (507)."""
    if 409 in statuses and 507 not in statuses:
        statuses = (*statuses, 507)
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}


def install(app: FastAPI) -> None:
    """Turn every failure into the one error body, and say so in ``/openapi.json``."""
    _document_validation_errors(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.detail, exc.headers)

    @app.exception_handler(DiskFullError)
    async def disk_full(_: Request, exc: DiskFullError) -> JSONResponse:
        return error_response(507, exc.code, exc.message, exc.detail())

    @app.exception_handler(ParamError)
    async def param_error(_: Request, exc: ParamError) -> JSONResponse:
        return error_response(422, exc.code, exc.message, {"field": exc.field} if exc.field else None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems if p["field"]) or "yêu cầu"
        return error_response(422, "invalid_parameter", f"Tham số không hợp lệ: {fields}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {400: ("bad_request", "Không đọc được dữ liệu gửi lên"), 404: ("not_found", "Không tìm thấy"),
                    405: ("method_not_allowed", "Phương thức không được hỗ trợ")}
        code, message = messages.get(exc.status_code, ("http_error", str(exc.detail)))
        detail = str(exc.detail) if exc.status_code == 400 else None  # what the parser could not read
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return error_response(exc.status_code, code, message, detail, headers=headers or None)

    @app.exception_handler(Exception)
    async def server_error(_: Request, exc: Exception) -> JSONResponse:
        # Starlette still re-raises it afterwards, so the server logs the traceback.
        return error_response(500, "internal_error", "Lỗi máy chủ; thao tác chưa được thực hiện xong")


def _allowed_methods(request: Request) -> str | None:
    """The methods the schema gives the path the request was routed to. Starlette
    names only those of the first route whose path matched: for ``PUT
    /api/documents/x``, GET but not DELETE. Paths outside the schema (the page,
    static files) keep the Allow that Starlette gave."""
    route = request.scope.get("route")
    operations = request.app.openapi().get("paths", {}).get(getattr(route, "path_format", None), {})
    methods = sorted(m.upper() for m in operations if m.upper() in _METHODS)
    return ", ".join(methods) or None


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _document_validation_errors(app: FastAPI) -> None:
    """FastAPI declares its own body for request validation errors (422); ours is
    the one error body, so the schema says that instead."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = default()
        ours = {"description": "invalid parameters",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                answer = operation.get("responses", {}).get("422")
                if answer and "HTTPValidationError" in str(answer):
                    operation["responses"]["422"] = ours
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components.setdefault("ErrorResponse", ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
