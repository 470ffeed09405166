"""`/healthz`: liveness, with a database round trip."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from mediagate import __version__
from mediagate.api import docs, responses
from mediagate.core.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get(
    "/healthz",
    responses=docs.responses(
        200,
        "The process is up and reaches its database.",
        {"status": "ok", "version": __version__, "database": "sqlite"},
        {503: "The database cannot be reached (`SERVICE_UNAVAILABLE`)."},
        model=Health,
        auth=False,
    ),
)
async def healthz(request: Request) -> Response:
    db = request.app.state.db
    try:
        async with asyncio.timeout(2):
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from None
    return responses.ok({"status": "ok", "version": __version__, "database": db.backend})
