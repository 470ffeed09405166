"""`mediagate serve`"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer

from mediagate.cli.common import load_settings


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
    from mediagate.core.logs import configure
    from mediagate.db.migrate import upgrade

    settings = load_settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    configure(settings.log_level, settings.log_format)
    upgrade(settings.database)
    bind_host = host or settings.host
    bind_port = port or settings.port
    logging.getLogger("mediagate").info(
        f"mediagate on http://{bind_host}:{bind_port} with {settings.database.display()}"
    )
    config = uvicorn.Config(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        log_config=None,  # the log is `core.logs`'s (text or JSON)
        access_log=False,
        proxy_headers=False,
        # Requests still running when the grace ends are cut (their clients retry).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    _stream_ending_server_class()(config).run()


def _stream_ending_server_class() -> type:
    import uvicorn

    class StreamEndingServer(uvicorn.Server):
        """Ends the event streams when a stop begins: they never end by themselves, so the
        server would otherwise wait out its grace and cut them (an error and a traceback
        each); ended, their clients resume elsewhere with Last-Event-ID."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            hub = getattr(self.config.app.state, "events", None)
            loop = getattr(self, "_loop", None)
            if hub is not None and loop is not None:
                loop.call_soon_threadsafe(hub.close_streams)
            super().handle_exit(sig, frame)

        async def serve(self, sockets: Any = None) -> None:
            import asyncio

            self._loop = asyncio.get_running_loop()
            await super().serve(sockets)

    return StreamEndingServer
