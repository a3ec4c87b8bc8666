"""What the endpoints receive by dependency injection: the service of this
process, its settings, the searcher over the published snapshot, who is
asking (and what they may read), and the admin check for writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from search_api.accounts import AuthError, Caller, resolve_caller, token_in_query, token_in_query_error
from search_api.api.errors import ApiError
from search_api.api.service import IndexService
from search_api.retrieval import Searcher
from search_api.settings import Settings


# The dependencies that only look something up are coroutines: FastAPI runs a plain
# function in a worker thread, and each such hop cost a search ~0.2 ms.
async def get_service(request: Request) -> IndexService:
    return request.app.state.service


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_searcher(service: Annotated[IndexService, Depends(get_service)]) -> Searcher:
    # Opening a searcher loads its indexes (seconds on a large one): in a worker thread,
    # not in the event loop; the one already open is taken here.
    return service.open_searcher() or await run_in_threadpool(service.searcher)


Service = Annotated[IndexService, Depends(get_service)]
AppSettings = Annotated[Settings, Depends(get_settings)]
CurrentSearcher = Annotated[Searcher, Depends(get_searcher)]


SESSION_COOKIE = "vanban_session"


async def get_caller(
    request: Request,
    settings: AppSettings,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_admin_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    """Who is asking: a Bearer token (a user's, or VANBAN_ADMIN_TOKEN), else the page's
    session cookie, else an anonymous caller (refused with VANBAN_ANONYMOUS=none). A
    credential that does not hold is an error, never a quiet fall back to anonymous;
    a token in the address is refused (addresses end up in logs)."""
    if authorization or x_admin_token or request.cookies.get(SESSION_COOKIE):
        # A credential is checked against the accounts database: in a worker thread.
        return await run_in_threadpool(_caller, request, settings, authorization, x_admin_token)
    return _caller(request, settings, None, None)


def _caller(request: Request, settings: Settings, authorization: str | None, x_admin_token: str | None) -> Caller:
    state = request.app.state
    try:
        if token_in_query(request.query_params):
            raise token_in_query_error()
        caller = resolve_caller(state.accounts, settings, authorization, request.cookies.get(SESSION_COOKIE),
                                x_admin_token)
    except AuthError as exc:
        state.audit.record("refused", None, {"code": exc.code, "path": request.url.path}, client_address(request))
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        raise ApiError(exc.status, exc.code, exc.message, headers=headers) from exc
    request.state.caller = caller
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def read_scope(caller: Caller) -> frozenset[str] | None:
    """The groups whose documents a caller may read besides public ones; None: everything
    (administrators, who set who reads what)."""
    return None if caller.admin else caller.groups


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def require_admin(request: Request, caller: CurrentCaller, settings: AppSettings) -> Caller:
    """Writes need an administrator: an admin user, or VANBAN_ADMIN_TOKEN."""
    if caller.admin:
        return caller
    accounts = request.app.state.accounts
    if caller.kind == "anonymous":
        if not settings.admin_token and not accounts.has_admins():
            raise ApiError(403, "writes_disabled", "Chức năng ghi bị tắt: chưa có người quản trị "
                           "(đặt VANBAN_ADMIN_TOKEN hoặc tạo người dùng bằng 'vanban users add TÊN --admin')")
        raise ApiError(401, "missing_token", "Cần đăng nhập bằng tài khoản quản trị (Authorization: Bearer …)")
    raise ApiError(403, "not_admin", "Tài khoản này không có quyền quản trị")


Admin = Annotated[Caller, Depends(require_admin)]
