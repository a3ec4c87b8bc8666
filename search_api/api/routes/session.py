"""Signing in on the page: a name and password give an HttpOnly, SameSite=Strict
session cookie with an expiry; who is signed in; signing out."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from search_api.accounts import AuthError, sign_in
from search_api.api.deps import SESSION_COOKIE, AppSettings, CurrentCaller, client_address
from search_api.api.errors import ApiError, responses
from search_api.api.schemas import Session, SignIn
from search_api.settings import Settings


def _session(caller) -> dict:
    return {"name": caller.name, "groups": sorted(caller.groups), "admin": caller.admin, "kind": caller.kind}


def router(settings: Settings) -> APIRouter:
    api = APIRouter(tags=["session"])

    @api.get("/api/session", response_model=Session, responses=responses(401))
    def who(caller: CurrentCaller) -> dict:
        return _session(caller)

    @api.post("/api/session", response_model=Session, responses=responses(400, 401, 422, 429))
    def start(body: SignIn, request: Request, settings: AppSettings) -> JSONResponse:
        state = request.app.state
        address = client_address(request)
        try:
            caller = sign_in(state.accounts, state.throttle, body.name, body.password, address)
        except AuthError as exc:
            state.audit.record("sign_in_failed", None, {"name": body.name, "code": exc.code}, address)
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            raise ApiError(exc.status, exc.code, exc.message, headers=headers) from exc
        session_id = state.accounts.create_session(caller, settings.session_hours)
        state.audit.record("sign_in", caller, {}, address)
        answer = JSONResponse(_session(caller))
        answer.set_cookie(SESSION_COOKIE, session_id, max_age=settings.session_hours * 3600, httponly=True,
                          samesite="strict", secure=request.url.scheme == "https", path="/")
        return answer

    @api.delete("/api/session", response_model=Session, responses=responses(401))
    def end(request: Request) -> JSONResponse:
        state = request.app.state
        session_id = request.cookies.get(SESSION_COOKIE)
        caller = state.accounts.session_caller(session_id) if session_id else None
        if session_id:
            state.accounts.end_session(session_id)
        if caller is not None:
            state.audit.record("sign_out", caller, {}, client_address(request))
        answer = JSONResponse({"name": None, "groups": [], "admin": False, "kind": "anonymous"})
        answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return answer

    return api
