"""Request body size limit, as plain ASGI middleware (no per-request task overhead)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediagate.api import responses
from mediagate.openai_face import errors as openai_errors


class BodySizeLimit:
    """Refuses a declared Content-Length over the limit at once, and stops a chunked body as
    soon as it crosses it (raised as an HTTPException, which the error handlers render)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                if openai_errors.applies_to(scope["path"]):
                    response = openai_errors.response(413, self._message())
                else:
                    response = responses.error(413, "PAYLOAD_TOO_LARGE", self._message())
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)
