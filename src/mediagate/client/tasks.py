"""`client.tasks`: create, get, wait, download, list, cancel, events, stream (sync and async,
same surface)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, Unpack

from mediagate.client import _download, _event_ops, _wait
from mediagate.client._effects import Op
from mediagate.client._ops import (
    CreateParams,
    ListFilters,
    Operations,
    create_body,
    list_params,
)
from mediagate.client._wait import OnUpdate
from mediagate.client.models import Event, Task
from mediagate.client.pagination import AsyncPaginator, Paginator
from mediagate.client.streams import AsyncEventStream, EventStream

T = TypeVar("T")
PathLike = str | os.PathLike[str]
DEFAULT_WAIT = 3600.0


class Tasks:
    """Each method runs one operation of `_ops`/`_wait`/`_download`/`_event_ops` on blocking
    HTTP."""

    def __init__(
        self,
        ops: Operations,
        run: Callable[[Op[Any]], Any],
        iterate: Callable[[Op[Any]], Iterator[Any]],
    ) -> None:
        self._ops = ops
        self._run = run
        self._iterate = iterate

    def create(self, **params: Unpack[CreateParams]) -> Task:
        """Submit a task: `type`, `model`, `input`, and optionally `metadata`, `callback_url`,
        `timeout_s`; it comes back `pending`. Retries are safe: every try sends the same
        Idempotency-Key (`idempotency_key`, or one made for this call)."""
        return self._run(self._ops.create(*create_body(params)))

    def get(self, task: Task | str) -> Task:
        return self._run(self._ops.get(task))

    def wait(
        self,
        task: Task | str,
        *,
        timeout: float | None = DEFAULT_WAIT,
        on_update: OnUpdate | None = None,
    ) -> Task:
        """The task once it succeeded. Raises TaskFailed, TaskCancelled, TaskExpired (or
        UnexpectedTaskStatus) if it ended otherwise, WaitTimeout after `timeout` seconds (None:
        as long as the task runs; the gateway ends every task at its deadline). Follows the
        task's event stream (polls a gateway without one); `on_update` is called with the task
        at first and on each change."""
        return self._run(_wait.wait(self._ops, task, timeout, on_update))

    def download(self, task: Task | str, dest: PathLike = ".") -> list[Path]:
        """Write every result file of a succeeded task under `dest` (a directory, or the file's
        path) and return the paths; see `_files.targets` for the names."""
        return self._run(_download.download(self._ops, task, dest))

    def list(self, **filters: Unpack[ListFilters]) -> Paginator[Task]:
        """Every task matching `status`, `provider`, `model_id`, `start_date` (inclusive),
        `end_date` (exclusive), `search` (an id prefix), newest first, following cursors
        across all pages; `limit` is the page size (1-100)."""
        params = list_params(filters)
        return Paginator(lambda cursor: self._run(self._ops.list_page(params, cursor)))

    def cancel(self, task: Task | str) -> Task:
        """Cancel an unfinished task; a task already cancelled is returned as it is, another
        final one raises TaskNotCancellable."""
        return self._run(self._ops.cancel(task))

    def events(self, task: Task | str) -> list[Event]:
        """The task's timeline: each of its events, oldest first."""
        return self._run(_event_ops.timeline(self._ops.api, task))

    def stream(self, task: Task | str, *, after: str | None = None) -> EventStream:
        """The task's events as they happen: its latest event (its current state) first, or
        those after event `after`, then each change, ending after the final one. Dropped
        connections are resumed where they broke."""
        return EventStream(self._iterate(_event_ops.task_stream(self._ops.api, task, after)))


class AsyncTasks:
    """`Tasks` on async HTTP: the same methods, to await (`list` and `stream` give async
    iterators)."""

    def __init__(
        self,
        ops: Operations,
        run: Callable[[Op[Any]], Awaitable[Any]],
        iterate: Callable[[Op[Any]], AsyncIterator[Any]],
    ) -> None:
        self._ops = ops
        self._run = run
        self._iterate = iterate

    async def create(self, **params: Unpack[CreateParams]) -> Task:
        return await self._run(self._ops.create(*create_body(params)))

    async def get(self, task: Task | str) -> Task:
        return await self._run(self._ops.get(task))

    async def wait(
        self,
        task: Task | str,
        *,
        timeout: float | None = DEFAULT_WAIT,  # noqa: ASYNC109 - the same surface as Tasks
        on_update: OnUpdate | None = None,
    ) -> Task:
        return await self._run(_wait.wait(self._ops, task, timeout, on_update))

    async def download(self, task: Task | str, dest: PathLike = ".") -> list[Path]:
        return await self._run(_download.download(self._ops, task, dest))

    def list(self, **filters: Unpack[ListFilters]) -> AsyncPaginator[Task]:
        params = list_params(filters)
        return AsyncPaginator(lambda cursor: self._run(self._ops.list_page(params, cursor)))

    async def cancel(self, task: Task | str) -> Task:
        return await self._run(self._ops.cancel(task))

    async def events(self, task: Task | str) -> list[Event]:
        return await self._run(_event_ops.timeline(self._ops.api, task))

    def stream(self, task: Task | str, *, after: str | None = None) -> AsyncEventStream:
        return AsyncEventStream(self._iterate(_event_ops.task_stream(self._ops.api, task, after)))
