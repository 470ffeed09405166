"""`mediagate worker`: task workers without the API (scale them apart from API processes)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer
import uvloop

from mediagate.cli.common import load_settings


def worker(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Concurrent task steps (MEDIAGATE_WORKERS, default 16)."),
    ] = None,
) -> None:
    """Run task workers until SIGTERM or Ctrl-C; the schema is brought up to date first."""
    from mediagate.core.logs import configure
    from mediagate.db.migrate import upgrade

    settings = load_settings()
    configure(settings.log_level, settings.log_format)
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    if settings.workers < 1:
        settings = settings.model_copy(update={"workers": 16})
    upgrade(settings.database)
    logging.getLogger("mediagate").info(
        f"mediagate worker ({settings.workers} slots) on {settings.database.display()}"
    )
    # The event loop `mediagate serve` gets from uvicorn: uvloop's socket writes and thread
    # wake-ups cost a fraction of asyncio's, and a worker is mostly those.
    uvloop.run(_run(settings))


async def _run(settings) -> None:
    from mediagate.db import Database
    from mediagate.engine.runtime import Engine
    from mediagate.engine.wakeup import Wakeup
    from mediagate.providers.registry import build_providers
    from mediagate.storage.factory import build_storage
    from mediagate.tasks import housekeeping

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    db = Database(settings.database)
    await db.open()
    storage = await build_storage(settings, db)
    providers = build_providers(settings)
    engine = Engine(settings, db, storage, providers, Wakeup())
    await engine.start()
    upkeep = asyncio.create_task(
        housekeeping.run_forever(
            db, storage, int(settings.result_retention.total_seconds() * 1_000_000)
        )
    )
    try:
        await stop.wait()
    finally:
        upkeep.cancel()
        await engine.stop()
        await providers.aclose()
        await storage.aclose()
        await db.close()
