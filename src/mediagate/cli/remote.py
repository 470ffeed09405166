"""What the commands that talk to a gateway share: options, the client, clean failures, output.

They use the Python client (`mediagate.client`), so the shell and Python behave alike. Every
client error ends the command with one line on stderr, never a traceback. Exit statuses:
0 done; 1 the task failed, was cancelled or expired, or the gateway refused the request or could
not be reached; 2 a bad command line; 3 `--timeout` ran out (the task goes on); 130 interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from mediagate.cli.common import err, fail
from mediagate.client import (
    Client,
    InvalidParameter,
    MediagateError,
    Task,
    TaskOutcomeError,
    Unauthorized,
    WaitTimeout,
)
from mediagate.client.errors import printable

EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 1, 2, 3, 130

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="The gateway (default: MEDIAGATE_URL, else http://127.0.0.1:8000)."),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--api-key", help="The API key (default: MEDIAGATE_API_KEY, which is safer)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0,
        help="Give up waiting after this many seconds (exit 3); the task "
        "goes on. Default: until the task ends.",
    ),
]


def stop(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """`fail` for text that may come from the server: one line, no markup."""
    return fail(escape(printable(message)), code)


def make_client(url: str | None, api_key: str | None) -> Client:
    try:
        return Client(base_url=url, api_key=api_key)
    except MediagateError as exc:
        raise stop(f"{exc} (or pass --url / --api-key)", EXIT_USAGE) from None


def in_flags(message: str, flags: dict[str, str]) -> str:
    """A 400's message (`input.prompt: must not be empty`) naming the command-line flag the
    user typed instead of the API parameter: `flags` maps parameters (or `prefix.*` for every
    field under one, `{name}` standing for the field) to flags."""
    param, sep, rest = message.partition(": ")
    if not sep:
        return message
    flag = flags.get(param)
    if flag is None and "." in param:
        prefix, _, name = param.partition(".")
        pattern = flags.get(f"{prefix}.*")
        flag = pattern.format(name=name) if pattern is not None else None
    return f"{flag}: {rest}" if flag is not None else message


@contextmanager
def connected(
    url: str | None,
    api_key: str | None,
    *,
    json_output: bool = False,
    flags: dict[str, str] | None = None,
) -> Iterator[Client]:
    """A client for the command; any client error (or Ctrl-C) ends the command cleanly. With
    `json_output`, a task that ended badly is still printed as JSON before the message.
    `flags`: see `in_flags`."""
    client = make_client(url, api_key)
    try:
        yield client
    except WaitTimeout as exc:
        if json_output:
            print_json(exc.task)
        raise stop(
            f"{exc}; it goes on: follow it with `mediagate tasks wait {exc.task.id}`",
            EXIT_TIMEOUT,
        ) from None
    except TaskOutcomeError as exc:
        if json_output:
            print_json(exc.task)
        raise stop(str(exc)) from None
    except Unauthorized as exc:
        raise stop(f"{exc}; check --api-key or MEDIAGATE_API_KEY") from None
    except InvalidParameter as exc:
        exc.message = in_flags(exc.message, flags or {})
        raise stop(str(exc)) from None
    except MediagateError as exc:
        raise stop(str(exc)) from None
    except KeyboardInterrupt:
        raise stop("interrupted", EXIT_INTERRUPTED) from None
    finally:
        client.close()


def task_json(task: Task, **extra: Any) -> dict[str, Any]:
    return {**task.model_dump(mode="json"), **extra}


def print_json(value: Task | list[Any] | dict[str, Any]) -> None:
    data = task_json(value) if isinstance(value, Task) else value
    print(json.dumps(data, ensure_ascii=False))


def parse_pairs(option: str, pairs: list[str], *, exact_numbers: bool = False) -> dict[str, Any]:
    """`key=value` options as a dict; a value is JSON when it parses as JSON (numbers,
    booleans, null, quoted strings), else the text as it is. `exact_numbers`: a number is kept
    as a number only if it reads back the same (`42`, `1.5`), so that `id=1e3` or `id=007`
    stay the text typed (metadata is often ids)."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise stop(f"{option} takes key=value, got {pair!r}", EXIT_USAGE)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if exact_numbers and number and json.dumps(value) != raw.strip():
            value = raw
        parsed[key] = value
    return parsed


def iso(value: datetime | None) -> str:
    """A time as the API writes it (`2026-11-23T10:00:00Z`); empty for none."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else ""


def duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def progress_text(task: Task) -> str:
    """One line: status, progress, queue position and ETA when known."""
    parts = [f"{printable(task.status, 20)} {task.progress}%"]
    if task.queue_position >= 0:
        parts.append(f"queue {task.queue_position}")
    if task.eta_seconds >= 0 and not task.is_final:
        parts.append(f"ETA {duration(task.eta_seconds)}")
    return " · ".join(parts) + f" · {task.id}"


def show_paths(paths: list[Any]) -> None:
    """Downloaded files: their paths on stdout (for scripts), sizes on stderr."""
    for path in paths:
        print(path)
        err.print(f"saved {escape(str(path))} ({path.stat().st_size} bytes)", highlight=False)
