"""Sign in with an API key (it becomes a server-side session), and sign out."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.dashboard import render, sessions
from mediagate.dashboard.security import (
    SIGN_IN_COOKIE,
    Forbidden,
    check_origin,
    checked_form,
    current_session,
    is_https,
)
from mediagate.dashboard.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _next_path(raw: object) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if isinstance(raw, str) and raw.startswith("/dashboard/") and not raw.startswith("//"):
        return raw
    return "/dashboard/tasks"


def _sign_in_page(
    request: Request, next_path: object, *, error: str | None = None, status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render.page(
        request,
        "sign_in.html",
        status_code=status_code,
        token=token,
        error=error,
        next=_next_path(next_path),
    )
    response.set_cookie(
        SIGN_IN_COOKIE, token, max_age=3600, path="/dashboard", httponly=True,
        samesite="strict", secure=is_https(request),
    )  # fmt: skip
    return response


@router.get("")
async def home(request: Request) -> Response:
    return render.redirect(request, "/dashboard/tasks")


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, request.query_params.get("next"))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """The key is read from the form and never written anywhere: only the session's id goes
    back to the browser."""
    check_origin(request)
    form = await request.form()
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden("the sign-in form is stale; reload the page and try again")
    secret = form.get("api_key")
    secret = secret.strip() if isinstance(secret, str) else ""
    opened = await sessions.open_session(request.app.state.db, secret) if secret else None
    if opened is None:
        return _sign_in_page(
            request,
            form.get("next"),
            error="That API key is unknown or revoked.",
            status_code=401,
        )
    response = render.redirect(request, _next_path(form.get("next")))
    response.set_cookie(
        sessions.COOKIE, opened.cookie_value, max_age=sessions.SESSION_SECONDS,
        path="/dashboard", httponly=True, samesite="lax", secure=is_https(request),
    )  # fmt: skip
    response.delete_cookie(SIGN_IN_COOKIE, path="/dashboard")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Session = Depends(current_session)) -> Response:
    await checked_form(request, session)
    await sessions.close(request.app.state.db, session)
    response = render.redirect(request, "/dashboard/sign-in")
    response.delete_cookie(sessions.COOKIE, path="/dashboard")
    return response
