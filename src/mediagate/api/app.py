"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mediagate import __version__
from mediagate.api import errors
from mediagate.api.fastpath import FastTaskReads
from mediagate.api.limits import BodySizeLimit
from mediagate.api.routes import health, models, tasks
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.tasks import housekeeping


def create_app(settings: Settings | None = None) -> FastAPI:
    """The schema must already be up to date (`serve` and `mediagate db upgrade` do that)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database)
        await db.open()
        app.state.db = db
        upkeep = asyncio.create_task(housekeeping.run_forever(db), name="task-count-compactor")
        try:
            yield
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
            await db.close()

    app = FastAPI(
        title="mediagate",
        version=__version__,
        description="Self-hosted gateway for asynchronous generative-media tasks.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(FastTaskReads)  # outermost of ours: the hot read skips everything else
    for module in (tasks, models, health):
        app.include_router(module.router)
    return app
