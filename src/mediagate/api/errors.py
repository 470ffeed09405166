"""Every error, including the ones FastAPI and Starlette raise themselves, in the envelope; on
the OpenAI-compatible face (`/v1/...`) in OpenAI's shape instead (`openai_face.errors`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from mediagate.api import responses
from mediagate.core.errors import InvalidParameter, ServiceError
from mediagate.core.validation import describe
from mediagate.dashboard import errors as dashboard_errors
from mediagate.openai_face import errors as openai_errors

_HTTP_CODES = {
    400: "INVALID_PARAMETER",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
}


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return "body: the request body is not valid JSON"
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    where = ".".join(loc) if loc else "body"
    if loc and loc[0] in ("query", "path", "header"):
        where = ".".join(loc[1:])
    return f"{where}: {describe(first)}"


def render(request: Request, exc: ServiceError) -> Response:
    """The one place that picks the shape: OpenAI's on `/v1/...`, a page on `/dashboard/...`,
    the envelope elsewhere."""
    if openai_errors.applies_to(request.url.path):
        return openai_errors.from_service_error(exc)
    if dashboard_errors.applies_to(request.url.path):
        return dashboard_errors.page(request, exc)
    return responses.error(exc.status_code, exc.code, exc.message, exc.headers or None)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return render(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message = _validation_message(exc)
    param, _, problem = message.partition(": ")
    return render(request, InvalidParameter(param, problem))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = ServiceError(exc.detail if isinstance(exc.detail, str) else "request failed")
    error.status_code = exc.status_code
    error.code = _HTTP_CODES.get(
        exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "ERROR"
    )
    if exc.status_code == 404:
        error.message = "no such endpoint; see /docs for the API"
    error.headers = dict(exc.headers or {})
    if exc.status_code == 405:
        error.headers["Allow"] = _allowed_methods(request)
    return render(request, error)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette's 405 names only the first
    route's, and several routes may share a path: `GET` and `POST /v1/videos`). Each method is
    tried against the routes as the router would (included routers hold theirs inside)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Any other exception: `api.boundary.ErrorBoundary` answers it (503 for an outage, 500 for
    # a bug) without letting it reach the server, which would drop the connection.
