"""What the endpoints receive by dependency injection: the service of this
process, its settings, the searcher over the published snapshot, and the
admin check for writes."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from search_api.api.errors import ApiError
from search_api.api.service import IndexService
from search_api.retrieval import Searcher
from search_api.settings import Settings


def get_service(request: Request) -> IndexService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_searcher(service: Annotated[IndexService, Depends(get_service)]) -> Searcher:
    return service.searcher()


Service = Annotated[IndexService, Depends(get_service)]
AppSettings = Annotated[Settings, Depends(get_settings)]
CurrentSearcher = Annotated[Searcher, Depends(get_searcher)]


def require_admin(
    settings: AppSettings,
    authorization: Annotated[str | None, Header()] = None,
    x_admin_token: Annotated[str | None, Header()] = None,
) -> None:
    """Writes need the admin token; with no token configured they are refused, not open."""
    expected = settings.admin_token
    if not expected:
        raise ApiError(403, "writes_disabled", "Chức năng ghi bị tắt: máy chủ chưa cấu hình VANBAN_ADMIN_TOKEN")
    given = x_admin_token
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not given:
        raise ApiError(401, "missing_token", "Cần mã quản trị (Authorization: Bearer …)")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "bad_token", "Mã quản trị không đúng")
