"""`mediagate serve`"""

from __future__ import annotations

from typing import Annotated

import typer

from mediagate.cli.common import err, load_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (MEDIAGATE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MEDIAGATE_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Concurrent task steps in this process (MEDIAGATE_WORKERS, default 16); "
            "0 runs the API alone.",
        ),
    ] = None,
) -> None:
    """Run the API and task workers in one process, schema brought up to date first."""
    import uvicorn

    from mediagate.api import create_app
    from mediagate.db.migrate import upgrade

    settings = load_settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    upgrade(settings.database)
    bind_host = host or settings.host
    bind_port = port or settings.port
    err.print(
        f"mediagate on http://{bind_host}:{bind_port} with {settings.database.display()}",
        highlight=False,
    )
    uvicorn.run(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,
        # Event streams never end by themselves: without a bound, a stop (a rolling restart)
        # would wait for every client to hang up. Cut, they resume elsewhere (Last-Event-ID).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
