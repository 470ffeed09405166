"""Reading simulated providers' requests: credentials and bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

MAX_BODY = 25 * 1024 * 1024


def bearer(request: Request, scheme: str = "Bearer") -> str | None:
    """The credential of `Authorization: <scheme> <credential>` (one space, as documented)."""
    value = request.headers.get("authorization", "")
    prefix = f"{scheme} "
    return value[len(prefix) :] if value.startswith(prefix) else None


async def read_json(request: Request) -> Any:
    """The JSON body, or None when it is absent, too large or not JSON."""
    body = await request.body()
    if not body or len(body) > MAX_BODY:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
