"""`mediagate generate`: submit a task, follow it with a live progress line, download it."""

from __future__ import annotations

from typing import Annotated

import typer

from mediagate.catalog.spec import TASK_TYPES
from mediagate.cli.common import err
from mediagate.cli.progress import follow
from mediagate.cli.remote import (
    EXIT_USAGE,
    JsonOption,
    KeyOption,
    TimeoutOption,
    UrlOption,
    connected,
    parse_pairs,
    print_json,
    show_paths,
    stop,
    task_json,
)

#: API parameters -> the flags that set them (for the messages of a 400).
_FLAGS = {
    "type": "TYPE",
    "model": "--model",
    "input.prompt": "--prompt",
    "input.*": "--input {name}",
    "metadata": "--metadata",
    "metadata.*": "--metadata {name}",
}


def generate(
    type_: Annotated[
        str, typer.Argument(metavar="TYPE", help="image, video, audio, music or model3d.")
    ],
    model: Annotated[str, typer.Option("--model", "-m", help="A model id (`mediagate models`).")],
    prompt: Annotated[str | None, typer.Option("--prompt", "-p", help="What to make.")] = None,
    input_: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="KEY=VALUE",
            help="A model input, repeatable (width=512); values that parse as JSON are JSON.",
        ),
    ] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option("--metadata", metavar="KEY=VALUE", help="Your metadata, repeatable."),
    ] = None,
    out: Annotated[
        str,
        typer.Option("--out", "-o", help="A directory (existing, or ending in /), or a file path."),
    ] = ".",
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Print the task id and return at once.")
    ] = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Generate a file: submit, show progress until the task ends, download the result.

    Prints the downloaded paths (or the task id with --no-wait; JSON with --json). Exit status:
    0 done, 1 failed / cancelled / expired / refused, 2 bad usage, 3 timed out.
    """
    if type_ not in TASK_TYPES:
        raise stop(f"TYPE must be one of {', '.join(TASK_TYPES)}, got {type_!r}", EXIT_USAGE)
    inputs = parse_pairs("--input", input_ or [])
    if prompt is not None:
        if "prompt" in inputs:
            raise stop("give the prompt once: --prompt or --input prompt=...", EXIT_USAGE)
        inputs["prompt"] = prompt
    meta = parse_pairs("--metadata", metadata or [], exact_numbers=True)
    with connected(url, api_key, json_output=json_output, flags=_FLAGS) as client:
        task = client.tasks.create(type=type_, model=model, input=inputs, metadata=meta or None)
        if no_wait:
            if json_output:
                print_json(task)
            else:
                print(task.id)
            err.print(f"submitted {task.id}; follow it with `mediagate tasks wait {task.id}`")
            return
        task = follow(client, task, timeout)
        paths = client.tasks.download(task, out)
        if json_output:
            print_json(task_json(task, files=[str(p) for p in paths]))
        else:
            show_paths(paths)
