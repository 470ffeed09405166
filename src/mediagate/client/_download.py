"""`tasks.download`: every result file to disk; expired URLs re-signed by reading the task."""

from __future__ import annotations

import os
from pathlib import Path

from mediagate.client import _files
from mediagate.client._effects import Fetch, Op, TransportFailure
from mediagate.client._ops import Operations
from mediagate.client._parse import api_error
from mediagate.client._retry import RETRY_STATUSES
from mediagate.client._wait import outcome
from mediagate.client.errors import DownloadError, InvalidResponse, TaskNotReady
from mediagate.client.models import ResultFile, Task

#: Re-reads of the task for fresh URLs, per file, after a 403 (an expired signature).
MAX_REFRESHES = 2


def result_files(task: Task) -> list[ResultFile]:
    """The files of a task that succeeded; the typed error of one that did not."""
    if not task.is_final:
        raise TaskNotReady(task)
    outcome(task)
    if not task.result:
        raise InvalidResponse(f"task {task.id} succeeded but the gateway lists no result file")
    return task.result


def download(ops: Operations, task: Task | str, dest: str | os.PathLike[str]) -> Op[list[Path]]:
    """A Task with its result is downloaded from the URLs it holds (no extra read while they
    are fresh); an id, or a task read without results, is read first."""
    if isinstance(task, str) or not task.result:
        task = yield from ops.get(task)
    paths = _files.targets(task, result_files(task), dest)
    for index, path in enumerate(paths):
        task = yield from _one(ops, task, index, path)
    return paths


def _one(ops: Operations, task: Task, index: int, path: Path) -> Op[Task]:
    """Download file `index` of `task` to `path`; the task, re-read if its URLs were."""
    attempts = ops.api.attempts()
    refreshes = 0
    while True:
        item = result_files(task)[index]
        fetch = Fetch(item.url, path, item.size_bytes, ops.api.config.timeout)
        try:
            reply = yield fetch
        except TransportFailure as failure:
            error = DownloadError(f"downloading {path.name} failed: {failure}", url=item.url)
            delay = attempts.backoff() if failure.retryable else None
        else:
            assert reply is not None
            if reply.status == 200 and reply.complete:
                return task
            if reply.status == 403 and refreshes < MAX_REFRESHES:
                refreshes += 1
                task = yield from ops.get(task.id)  # every read signs the URLs afresh
                if len(result_files(task)) <= index:
                    raise InvalidResponse(f"task {task.id} lost result files between reads")
                continue
            if reply.status == 200:
                how = "cut short" if reply.written < item.size_bytes else "longer than announced"
                error = DownloadError(
                    f"the download of {path.name} was {how} ({reply.written} bytes, the task "
                    f"says {item.size_bytes})",
                    url=item.url,
                    status_code=200,
                )
                delay = attempts.backoff()
            else:
                error = DownloadError(
                    f"downloading {path.name} failed: {api_error(reply).message} "
                    f"(HTTP {reply.status})",
                    url=item.url,
                    status_code=reply.status,
                )
                delay = attempts.delay_after(reply) if reply.status in RETRY_STATUSES else None
        yield attempts.pause(error, delay)
