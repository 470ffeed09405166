"""`mediagate tasks list|get|wait|cancel|download`."""

from __future__ import annotations

import itertools
import json
from typing import Annotated

import typer

from mediagate.cli.common import err, print_table
from mediagate.cli.progress import follow
from mediagate.cli.remote import (
    JsonOption,
    KeyOption,
    TimeoutOption,
    UrlOption,
    connected,
    iso,
    print_json,
    progress_text,
    show_paths,
    task_json,
)
from mediagate.client import Task

app = typer.Typer(
    help="Your tasks on a gateway.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)
TaskId = Annotated[str, typer.Argument(metavar="TASK_ID", help="The task's id (task_...).")]


def _show(task: Task, json_output: bool) -> None:
    """A task: JSON, or one `field<TAB>value` row per field (a table on a terminal)."""
    if json_output:
        print_json(task)
        return
    rows = [
        ("id", task.id),
        ("type", task.type),
        ("model", task.model),
        ("provider", task.provider),
        ("status", task.status),
        ("progress", f"{task.progress}%"),
        ("queue_position", str(task.queue_position)),
        ("eta_seconds", str(task.eta_seconds)),
        ("cost", f"{task.cost:g}"),
        ("created_at", iso(task.created_at)),
        ("started_at", iso(task.started_at)),
        ("completed_at", iso(task.completed_at)),
    ]
    if task.error is not None:
        rows.append(("error", f"{task.error.code}: {task.error.message}"))
    for n, item in enumerate(task.result or []):
        rows.append((f"result[{n}]", f"{item.format} {item.size_bytes} bytes {item.url}"))
    if task.metadata:
        rows.append(("metadata", json.dumps(task.metadata, ensure_ascii=False)))
    print_table(("field", "value"), rows)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="pending, queued, running, ...")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider's tasks.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model's tasks.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (ISO 8601: 2026-11-01).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Created before (ISO 8601).")] = None,
    search: Annotated[str | None, typer.Option(help="A task id prefix.")] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="Show at most this many (0: all, across every page).")
    ] = 20,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Tasks, newest first: a table on a terminal, tab-separated when piped, JSON with --json."""
    flags = {"startDate": "--since", "endDate": "--until", "modelId": "--model",
             "status": "--status", "provider": "--provider", "search": "--search"}  # fmt: skip
    with connected(url, api_key, flags=flags) as client:
        listing = client.tasks.list(
            status=status,
            provider=provider,
            model_id=model,
            start_date=since,
            end_date=until,
            search=search,
            limit=min(limit, 100) or 100,
        )
        tasks = list(itertools.islice(listing, limit or None))
    if json_output:
        print_json([task_json(t) for t in tasks])
        return
    print_table(
        ("id", "type", "model", "status", "progress", "created"),
        [(t.id, t.type, t.model, t.status, f"{t.progress}%", iso(t.created_at)) for t in tasks],
    )
    err.print(f"{len(tasks)} of {listing.total or 0} tasks", highlight=False)


@app.command("get")
def get(
    task_id: TaskId,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """One task, with fresh result URLs."""
    with connected(url, api_key) as client:
        task = client.tasks.get(task_id)
    _show(task, json_output)


@app.command("wait")
def wait(
    task_id: TaskId,
    timeout: TimeoutOption = None,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Follow a task until it ends. Exit 0 if it succeeded, 1 if it failed, was cancelled or
    expired, 3 on --timeout."""
    with connected(url, api_key, json_output=json_output) as client:
        task = follow(client, client.tasks.get(task_id), timeout)
    if json_output:
        print_json(task)
    else:
        err.print(progress_text(task))


@app.command("cancel")
def cancel(
    task_id: TaskId,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Cancel an unfinished task (a cancelled one stays cancelled; a finished one is an error)."""
    with connected(url, api_key) as client:
        task = client.tasks.cancel(task_id)
    if json_output:
        print_json(task)
    else:
        print(f"{task.id}\t{task.status}")


@app.command("download")
def download(
    task_id: TaskId,
    out: Annotated[
        str,
        typer.Option("--out", "-o", help="A directory (existing, or ending in /), or a file path."),
    ] = ".",
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Download the result files of a task that succeeded; prints their paths."""
    with connected(url, api_key) as client:
        paths = client.tasks.download(task_id, out)
    show_paths(paths)
