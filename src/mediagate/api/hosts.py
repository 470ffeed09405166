"""`MEDIAGATE_ALLOWED_HOSTS`: refuse requests whose `Host` header names another host.

Without `MEDIAGATE_PUBLIC_URL`, result URLs are built from the request's Host header, so a
forged Host would hand clients links to somewhere else. With the setting, such a request gets
`400 INVALID_PARAMETER` naming the Host, before anything else runs (the hot read path too).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mediagate.api import errors
from mediagate.core.errors import InvalidParameter


def host_name(header: str) -> str:
    """The host of a `Host` header value, lower-case, without its port (`[::1]:80` -> `::1`)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed(host: str, patterns: Sequence[str]) -> bool:
    """`host` is one of `patterns`, or under one written `*.example.com`."""
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class AllowedHosts:
    def __init__(self, app: ASGIApp, hosts: Sequence[str]) -> None:
        self.app = app
        self.hosts = list(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = next((v for k, v in scope["headers"] if k == b"host"), b"")
            host = host_name(header.decode("latin-1"))
            if not allowed(host, self.hosts):
                refusal = InvalidParameter(
                    "Host", f"{host or '(none)'!r} is not a host name of this gateway"
                )
                await errors.render(Request(scope, receive), refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
