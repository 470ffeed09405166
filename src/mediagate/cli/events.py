"""`mediagate events tail`: the account's events as they happen, one line each."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from mediagate.cli.remote import JsonOption, KeyOption, UrlOption, connected, iso
from mediagate.client import Event

app = typer.Typer(
    help="Your account's task events on a gateway.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)


def event_line(event: Event) -> str:
    """time, type, task, status and progress, event id: tab-separated, for `cut` and `awk`."""
    task = event.data
    fields = (iso(event.created_at), event.type, task.id, task.status, f"{task.progress}%")
    return "\t".join((*(" ".join(str(f).split()) for f in fields), event.id))


def _types(values: list[str] | None) -> list[str] | None:
    names = [name.strip() for value in values or [] for name in value.split(",")]
    return [name for name in names if name] or None


@app.command("tail")
def tail(
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--types",
            "-t",
            metavar="TYPE[,TYPE]",
            help="Only these event types (task.succeeded, task.failed, ...); repeatable.",
        ),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            "--after", metavar="EVT", help="Start after this event id (default: from now on)."
        ),
    ] = None,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Follow your account's events until interrupted: one line each (time, type, task,
    status, progress, event id), or one JSON event per line with --json. A dropped
    connection is resumed where it broke, without a gap or a repeat."""
    with (
        connected(url, api_key) as client,
        client.events.stream(after=after, types=_types(types)) as stream,
    ):
        try:
            for event in stream:
                if json_output:
                    print(json.dumps(event.model_dump(mode="json"), ensure_ascii=False))
                else:
                    print(event_line(event))
                sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
