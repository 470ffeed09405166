"""Batching under load: many concurrent calls become one database statement or thread hop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

_Pending = tuple[Sequence[Any], Hashable, "asyncio.Future[Any]"]


class Batcher:
    """Calls of one kind that arrive while earlier ones are in flight are run together, up to
    `max_batch` at a time and `max_inflight` batches at once; a call that finds the batcher
    idle goes at once, with no added wait. `run(kind, batch_args)` returns one result (or
    exception) per call, in order. Calls with the same `key` never share or overlap batches:
    they run in the order they were made."""

    def __init__(
        self,
        run: Callable[[Any, list[Sequence[Any]]], Awaitable[list[Any]]],
        *,
        max_batch: int = 64,
        max_inflight: int = 4,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._inflight = 0
        self._pending: dict[Hashable, list[_Pending]] = {}
        self._busy: set[Hashable] = set()  # keys of the batches in flight

    async def call(self, kind: Hashable, args: Sequence[Any], key: Hashable = None) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(kind, []).append((args, key, future))
        self._start_drain(kind)
        return await future

    def _start_drain(self, kind: Hashable) -> None:
        if self._inflight < self._max_inflight:
            self._inflight += 1
            asyncio.get_running_loop().create_task(self._drain(kind))

    def _take(self, queue: list[_Pending]) -> list[_Pending]:
        """The next batch, in arrival order, leaving in the queue every call whose key is in
        this batch or in one still in flight: writes of one row go one after the other."""
        batch: list[_Pending] = []
        rest: list[_Pending] = []
        blocked = set(self._busy)
        for item in queue:
            key = item[1]
            if len(batch) < self._max_batch and (key is None or key not in blocked):
                batch.append(item)
            else:
                rest.append(item)
            if key is not None:
                blocked.add(key)
        queue[:] = rest
        return batch

    async def _drain(self, kind: Hashable) -> None:
        ran = False
        try:
            queue = self._pending[kind]
            while queue:
                batch = self._take(queue)
                if not batch:
                    return  # what is left waits on rows in flight; their drains take it
                ran = True
                keys = [key for _args, key, _f in batch if key is not None]
                self._busy.update(keys)
                try:
                    results = await self._run(kind, [args for args, _k, _f in batch])
                except Exception as exc:
                    results = [exc] * len(batch)
                finally:
                    self._busy.difference_update(keys)
                for (_args, _key, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._inflight -= 1
            if ran:  # rows were freed: calls of other kinds may have waited on them
                for other, queue in self._pending.items():
                    if queue:
                        self._start_drain(other)


class ThreadBatcher:
    """`await batcher(*args)` runs blocking work in a thread; the calls that arrive while
    earlier ones run go to the thread together: one hop, and one wake-up of the event loop,
    per batch instead of per call. `run_batch(batch_args)` returns one result (or exception)
    per call, in order; `ThreadBatcher.each(fn)` runs `fn(*args)` for each call."""

    def __init__(
        self,
        run_batch: Callable[[list[Sequence[Any]]], list[Any]],
        *,
        max_batch: int = 16,
        max_inflight: int = 8,
    ) -> None:
        self._run_batch = run_batch
        self._batcher = Batcher(self._run, max_batch=max_batch, max_inflight=max_inflight)

    @classmethod
    def each(cls, fn: Callable[..., Any], **options: int) -> ThreadBatcher:
        return cls(functools.partial(_each, fn), **options)

    async def __call__(self, *args: Any, key: Hashable = None) -> Any:
        return await self._batcher.call(None, args, key)

    async def _run(self, _kind: object, batch: list[Sequence[Any]]) -> list[Any]:
        return await asyncio.to_thread(self._run_batch, batch)


def _each(fn: Callable[..., Any], batch: list[Sequence[Any]]) -> list[Any]:
    results: list[Any] = []
    for args in batch:
        try:
            results.append(fn(*args))
        except Exception as exc:  # handed to that call alone
            results.append(exc)
    return results
