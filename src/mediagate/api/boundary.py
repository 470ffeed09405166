"""Where every error that no route handled ends: answered, never left to the server.

An exception that escapes the app makes uvicorn write its own 500 and then drop the
keep-alive connection without a word, so the client's next request on it fails with a reset.
`ErrorBoundary` (plain ASGI, around the whole FastAPI app) answers instead, in the envelope
(or OpenAI's shape on `/v1/...`), and the connection stays usable:

- the database or the storage cannot be reached or written (`db.dialect.unavailable`):
  `503 SERVICE_UNAVAILABLE` with `Retry-After`; nothing was changed (the transaction rolled
  back), and the next request after the outage succeeds (pools reconnect by themselves);
- the client went away in the middle of its request (a body cut short): a debug log line, and
  nothing to answer;
- anything else, a bug: logged with its traceback, `500 INTERNAL_ERROR`.

`classify` is shared with the hot read path (`api.fastpath`), which runs outside FastAPI.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediagate.api import errors
from mediagate.core.errors import ServiceError, ServiceUnavailable
from mediagate.db.dialect import unavailable

log = logging.getLogger("mediagate.api")


class InternalError(ServiceError):
    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(self) -> None:
        super().__init__("internal error; the server log has details")


def classify(exc: BaseException, method: str, path: str) -> ServiceError | None:
    """The error to answer for `exc`, which escaped the request `method path`, logged as it
    deserves; None when the client disconnected (nothing to answer)."""
    if isinstance(exc, ClientDisconnect):
        log.debug("client disconnected during %s %s", method, path)
        return None
    if unavailable(exc):
        log.warning(
            "%s %s: the database or storage is unavailable: %s: %s",
            method, path, type(exc).__name__, exc,
        )  # fmt: skip
        return ServiceUnavailable(
            "the database or storage cannot be reached; nothing was changed, retry shortly"
        )
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return InternalError()


class ErrorBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            error = classify(exc, scope["method"], scope["path"])
            if error is None or started:
                return  # gone, or mid-answer (a stream): the server ends the response
            request = Request(scope, receive)
            await errors.render(request, error)(scope, receive, send)
