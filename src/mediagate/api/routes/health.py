"""`/healthz`: liveness, with a database round trip."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import Response

from mediagate import __version__
from mediagate.api import responses
from mediagate.core.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    db = request.app.state.db
    try:
        async with asyncio.timeout(2):
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from None
    return responses.ok({"status": "ok", "version": __version__, "database": db.backend})
