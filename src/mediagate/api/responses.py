"""The contract's envelope, encoded with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON = "application/json"


def ok(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps({"success": True, "data": data})
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)


def listing(data: list[Any], *, cursor: str | None, has_more: bool, total: int) -> Response:
    body = orjson.dumps(
        {
            "success": True,
            "data": data,
            "pagination": {"cursor": cursor, "hasMore": has_more, "total": total},
        }
    )
    return Response(body, media_type=JSON)


def error(
    status_code: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"success": False, "error": {"code": code, "message": message}})
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)
