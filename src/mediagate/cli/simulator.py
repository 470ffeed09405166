"""`mediagate simulator`: the provider simulator as a server of its own."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from mediagate.cli.common import err


def simulator(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8900,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    state_dir: Annotated[
        Path | None,
        typer.Option(help="Where jobs and output files live; default a fresh temporary folder."),
    ] = None,
    queue_seconds: Annotated[float, typer.Option(min=0, help="Seconds a job waits queued.")] = 1.0,
    run_seconds: Annotated[float, typer.Option(min=0, help="Seconds a job runs.")] = 2.0,
) -> None:
    """Serve every simulated provider API (Vidu, Kling, Seedance, Seedream, Gemini, vidgo,
    Tripo) at its real paths. Point an SDK or a gateway's MEDIAGATE_<PROVIDER>_BASE_URL here,
    with the credentials listed in docs/providers.md; put [sim:<scenario>] in a prompt to
    choose a failure."""
    import uvicorn

    from mediagate.simulator import SIM_CREDENTIALS, Simulator, Timing

    folder = state_dir or Path(tempfile.mkdtemp(prefix="mediagate-simulator-"))
    sim = Simulator(folder, timing=Timing(queue_s=queue_seconds, run_s=run_seconds))
    err.print(f"provider simulator on http://{host}:{port} (state in {folder})", highlight=False)
    for provider, credentials in SIM_CREDENTIALS.items():
        shown = ", ".join(f"{name}={value}" for name, value in credentials.items())
        err.print(f"  {provider}: {shown}", highlight=False)
    uvicorn.run(sim.app(), host=host, port=port, log_level="warning", access_log=False)
