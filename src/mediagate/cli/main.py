"""`mediagate`: serve, worker, keys, db."""

from __future__ import annotations

import typer

from mediagate.cli import db, keys, serve, worker

app = typer.Typer(
    name="mediagate",
    help="Self-hosted gateway for asynchronous generative-media tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
