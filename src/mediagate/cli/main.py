"""`mediagate`: serve, worker, keys, accounts, db; generate, tasks, models, events, webhooks,
usage (a gateway's client)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediagate.cli import (
    accounts,
    db,
    events,
    generate,
    keys,
    models,
    serve,
    simulator,
    tasks,
    usage,
    webhooks,
    worker,
)

app = typer.Typer(
    name="mediagate",
    help="Self-hosted gateway for asynchronous generative-media tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain text: `[sim:slow]` is an example, not markup to swallow.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from mediagate import __version__

        print(f"mediagate {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Self-hosted gateway for asynchronous generative-media tasks."""


app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("simulator")(simulator.simulator)
app.add_typer(keys.app, name="keys")
app.add_typer(accounts.app, name="accounts")
app.add_typer(db.app, name="db")
app.command("generate")(generate.generate)
app.add_typer(tasks.app, name="tasks")
app.command("models")(models.models)
app.add_typer(events.app, name="events")
app.add_typer(webhooks.app, name="webhooks")
app.command("usage")(usage.usage)
app.command("account")(usage.account)


def main() -> None:
    """The `mediagate` command: a known start-up problem (no database, an unwritable data
    directory) is one line on standard error and exit status 1, not a traceback."""
    from mediagate.cli.problems import explain

    try:
        app()
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise
        from mediagate.cli.common import fail

        fail(message)
        raise SystemExit(1) from None
