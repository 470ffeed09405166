"""The web dashboard under `/dashboard`: server-rendered pages over the same services as the
API, signed in with an API key that becomes a server-side session."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from mediagate.dashboard.routes import auth, streams, tasks, usage, webhooks

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the dashboard's pages, streams and static files (its CSS and script) to `app`."""
    for module in (auth, tasks, streams, webhooks, usage):
        app.include_router(module.router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
