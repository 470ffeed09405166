"""Errors on the dashboard's paths as pages (the API's answer them in its envelope): a missing
session sends the browser to the sign-in page, anything else is a page saying what went wrong
(another account's task is the same 404 page as a task that never existed)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from mediagate.core.errors import ServiceError
from mediagate.dashboard import render
from mediagate.dashboard.security import SignInRequired

PREFIX = "/dashboard"
_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Not allowed"}


def applies_to(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def page(request: Request, exc: ServiceError) -> Response:
    if isinstance(exc, SignInRequired):
        if request.method == "GET" and not request.url.path.endswith("/stream"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return render.redirect(request, f"{PREFIX}/sign-in?{urlencode({'next': target})}")
        return render.redirect(request, f"{PREFIX}/sign-in")
    title = _TITLES.get(exc.status_code, "Error" if exc.status_code < 500 else "Server error")
    response = render.page(
        request,
        "error.html",
        status_code=exc.status_code,
        title=title,
        code=exc.code,
        message=exc.message,
    )
    response.headers.update(exc.headers)  # Allow, Retry-After
    return response
