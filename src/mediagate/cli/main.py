"""`mediagate`: serve, worker, keys, accounts, db; generate, tasks, models, events, webhooks,
usage (a gateway's client). Commands are imported when used (`COMMANDS`)."""

from __future__ import annotations

import importlib
from typing import Annotated, Any, NamedTuple

import click
import typer
from typer.core import TyperGroup


class _Command(NamedTuple):
    module: str
    attribute: str
    #: What `mediagate --help` says of it (the first sentence of its own help; a test keeps
    #: them equal), so that listing the commands imports none of them.
    summary: str


#: Every command, imported only when it runs (or its help is asked for): a client command
#: never loads the server's code, and `mediagate --help` loads no command at all.
COMMANDS = {
    "serve": _Command("serve", "serve", "Run the API and task workers in one process."),
    "worker": _Command("worker", "worker", "Run task workers until SIGTERM or Ctrl-C."),
    "simulator": _Command("simulator", "simulator", "Serve every simulated provider API."),
    "keys": _Command("keys", "app", "API keys."),
    "accounts": _Command("accounts", "app", "Accounts: credits, spend and fairness limits."),
    "db": _Command("db", "app", "Database schema."),
    "generate": _Command("generate", "generate", "Generate a file."),
    "tasks": _Command("tasks", "app", "Your tasks on a gateway."),
    "models": _Command("models", "models", "Models your key can use."),
    "events": _Command("events", "app", "Your account's task events on a gateway."),
    "webhooks": _Command("webhooks", "app", "Webhook endpoints and their deliveries."),
    "usage": _Command("usage", "usage", "Your tasks and their cost."),
    "account": _Command("usage", "account", "Your account."),
}


def load_command(name: str) -> click.Command:
    spec = COMMANDS[name]
    found: Any = getattr(importlib.import_module(f"mediagate.cli.{spec.module}"), spec.attribute)
    if isinstance(found, typer.Typer):
        command = typer.main.get_group(found)
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, spec.summary) for name, spec in COMMANDS.items()])


app = typer.Typer(
    name="mediagate",
    cls=_LazyGroup,
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
