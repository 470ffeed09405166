"""`/healthz`: liveness, with a database round trip; `/readyz`: readiness (the database takes
a write, the storage takes a file, workers claim tasks: `mediagate.readiness`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from mediagate import __version__
from mediagate.api import docs, responses
from mediagate.core.errors import ServiceUnavailable
from mediagate.readiness import Readiness

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


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


@router.get(
    "/readyz",
    responses=docs.responses(
        200,
        "Every check passed.",
        {"status": "ready", "checks": {"database": "ok", "storage": "ok", "workers": "ok"}},
        {503: "A check failed (`SERVICE_UNAVAILABLE`); the message names each one and why."},
        model=Ready,
        auth=False,
    ),
)
async def readyz(request: Request) -> Response:
    """200 when every check passes; else 503 naming each failing check and why."""
    readiness: Readiness = request.app.state.readiness
    outcome = await readiness.check()
    failed = {name: why for name, why in outcome.items() if why}
    if failed:
        detail = "; ".join(f"{name}: {why}" for name, why in failed.items())
        raise ServiceUnavailable(f"not ready: {detail}")
    checks = dict.fromkeys(outcome, "ok")
    return responses.ok({"status": "ready", "checks": checks})
