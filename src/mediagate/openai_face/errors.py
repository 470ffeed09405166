"""Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, for `/v1/...`.

OpenAI's SDK picks its exception class from the status alone (400 `BadRequestError`, 401
`AuthenticationError`, 404 `NotFoundError`, 429 `RateLimitError`, other `APIStatusError`), so
the statuses are the contract's own; only the body differs.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from mediagate.core.errors import InvalidParameter, ModelNotFound, ServiceError

PREFIX = "/v1/"

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    416: "invalid_request_error",
    429: "rate_limit_error",
}

_CODES = {
    401: "invalid_api_key",
    402: "insufficient_quota",
    404: "not_found",
    429: "rate_limit_exceeded",
}


def applies_to(path: str) -> bool:
    """Whether a request path belongs to the OpenAI face (and answers errors in its shape)."""
    return path == "/v1" or path.startswith(PREFIX)


def response(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {
        "error": {
            "message": message,
            "type": kind,
            "param": param,
            "code": code or _CODES.get(status),
        }
    }
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def from_service_error(exc: ServiceError) -> Response:
    param = getattr(exc, "param", None)
    if isinstance(exc, ModelNotFound):
        param = "model"
    code = exc.code.lower()
    if isinstance(exc, InvalidParameter):
        code = "invalid_value"
    elif exc.status_code == 404:
        code = "not_found"
    return response(
        exc.status_code, exc.message, param=param, code=code, headers=exc.headers or None
    )
