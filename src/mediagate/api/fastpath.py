"""The hot read path: `GET /api/v1/tasks/{id}` answered in plain ASGI.

Clients poll this endpoint more than all others together, so it skips the framework's routing,
dependency injection and response classes: one header scan, one query that authenticates and
looks up at once (`tasks.service.get_for_key`), one orjson encode (and, with a rate limit set,
one token taken from the key's bucket once the key is known good). Every other request goes on
to the FastAPI app unchanged. Errors are the same envelope the rest of the API answers.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from mediagate.api.boundary import classify
from mediagate.api.links import linker_for
from mediagate.api.ratelimit import RateLimiter
from mediagate.core.errors import ServiceError, TaskNotFound, Unauthorized
from mediagate.tasks import service

PREFIX = "/api/v1/tasks/"
_JSON_HEADERS = [(b"content-type", b"application/json")]
_AT_PROVIDER = frozenset({"queued", "running"})


def bearer_from_headers(headers: list[tuple[bytes, bytes]]) -> str:
    """The key of `Authorization: Bearer <key>`; 401 when missing or malformed."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            secret = secret.strip()
            if scheme.lower() != "bearer" or not secret:
                raise Unauthorized(
                    "malformed Authorization header; send 'Authorization: Bearer <key>'"
                )
            return secret
    raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <key>'")


async def _send_json(
    send: Send, status: int, payload: dict, extra: dict[str, str] | None = None
) -> None:
    body = orjson.dumps(payload)
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FastTaskReads:
    def __init__(self, app: ASGIApp, limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            task_id = path[len(PREFIX) :]
            if path.startswith(PREFIX) and task_id and "/" not in task_id:
                await self._get(scope, send, task_id)
                return
        await self.app(scope, receive, send)

    async def _get(self, scope: Scope, send: Send, task_id: str) -> None:
        try:
            task = await self._read(scope, task_id)
        except ServiceError as exc:
            error = {"code": exc.code, "message": exc.message}
            await _send_json(send, exc.status_code, {"success": False, "error": error}, exc.headers)
            return
        except Exception as exc:  # an outage (503), or a bug (500): answered like elsewhere
            failure = classify(exc, "GET", scope["path"])
            if failure is not None:
                error = {"code": failure.code, "message": failure.message}
                body = {"success": False, "error": error}
                await _send_json(send, failure.status_code, body, failure.headers)
            return
        await _send_json(send, 200, {"success": True, "data": task})

    async def _read(self, scope: Scope, task_id: str) -> dict:
        """The task, after the key's rate limit (a valid key's request counts, found or not)."""
        secret = bearer_from_headers(scope["headers"])
        db = scope["app"].state.db
        try:
            task = await service.get_for_key(db, secret, task_id, linker_for(scope))
        except TaskNotFound:
            if self.limiter is not None and (refused := await self.limiter.take(secret, db)):
                raise refused from None
            raise
        if self.limiter is not None and (refused := await self.limiter.take(secret, db)):
            raise refused
        if task["status"] in _AT_PROVIDER:  # someone is watching: keep its progress fresh
            scope["app"].state.watch.seen(task_id)
        return task
