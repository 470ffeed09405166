"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from mediagate import __version__, dashboard
from mediagate.api import errors, openapi
from mediagate.api.boundary import ErrorBoundary
from mediagate.api.fastpath import FastTaskReads
from mediagate.api.hosts import AllowedHosts
from mediagate.api.limits import BodySizeLimit
from mediagate.api.ratelimit import RateLimiter
from mediagate.api.routes import (
    account,
    events,
    files,
    health,
    metrics,
    models,
    openai,
    tasks,
    webhooks,
)
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.engine.runtime import Engine
from mediagate.engine.wakeup import Wakeup
from mediagate.events.hub import EventHub
from mediagate.providers.registry import build_providers
from mediagate.readiness import Readiness
from mediagate.storage.factory import build_storage
from mediagate.tasks import housekeeping
from mediagate.tasks.results import ResultLinks
from mediagate.tasks.watch import Watch


def create_app(settings: Settings | None = None) -> FastAPI:
    """The schema must already be up to date (`serve` and `mediagate db upgrade` do that)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database)
        await db.open()
        app.state.db = db
        app.state.wakeup = Wakeup()
        storage = await build_storage(settings, db)
        app.state.storage = storage
        app.state.results = ResultLinks(storage, settings.url_ttl_seconds, settings.public_url)
        app.state.readiness = Readiness(db, storage)
        # The API alone still needs them: plugin providers' models, and which are configured.
        providers = build_providers(settings)
        app.state.providers = providers
        app.state.events = hub = EventHub(db, poll_s=settings.events_poll_seconds)
        await hub.start()
        app.state.watch = watch = Watch(
            db, settings.watched_poll_seconds, on_hastened=app.state.wakeup.notify_local
        )
        await watch.start()
        engine = None
        if settings.workers > 0:
            engine = Engine(settings, db, storage, providers, app.state.wakeup)
            await engine.start()
        upkeep = asyncio.create_task(
            housekeeping.run_forever(
                db, storage, int(settings.result_retention.total_seconds() * 1_000_000)
            ),
            name="task-count-compactor",
        )
        # Everything made at start-up lives as long as the process: keep it out of the
        # garbage collector's scans, which otherwise show up as latency spikes.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
            await watch.stop()
            if engine is not None:
                await engine.stop()
            await hub.stop()
            await providers.aclose()
            await storage.aclose()
            await db.close()

    # The docs pages (`/docs`, `/redoc`) load their assets from this server, not a CDN.
    app = FastAPIOffline(
        title="mediagate",
        version=__version__,
        description="Self-hosted gateway for asynchronous generative-media tasks.",
        lifespan=lifespan,
        # operationId = the route function's name (OpenAPI links name them).
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.rate_limiter = limiter = RateLimiter.from_settings(settings)
    errors.install(app)
    openapi.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ErrorBoundary)  # every escaped exception answered, the connection kept
    # The hot read skips everything else.
    app.add_middleware(FastTaskReads, limiter=limiter)
    if settings.allowed_hosts:  # outermost: a foreign Host gets nothing, not even a task read
        app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    for module in (tasks, events, webhooks, account, models, files, health, metrics, openai):
        app.include_router(module.router)
    dashboard.install(app)
    return app
