"""Fresh progress for the tasks someone is watching, without a polling storm for the rest.

The engine polls a provider on a schedule made for unattended tasks: until the provider's ETA
(up to minutes). A task a client follows (a read of it while it is queued or running, an open
stream of it) has its next poll brought forward to within `interval_s`, so its progress, queue
position and ETA stay fresh while someone looks; each watched task costs at most one provider
poll per interval, whatever the number of readers. The API process collects the ids and writes
them once per interval (one UPDATE), then wakes the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator

from mediagate.core.clock import now_us
from mediagate.db import Database, dialect
from mediagate.tasks import repository

log = logging.getLogger(__name__)
#: Most task ids written at once.
_BATCH = 500


class Watch:
    def __init__(
        self, db: Database, interval_s: float, on_hastened: Callable[[], None] | None = None
    ) -> None:
        self.db = db
        self.interval_s = interval_s
        self._seen: set[str] = set()
        self._followed: dict[str, int] = {}
        self._on_hastened = on_hastened
        self._runner: asyncio.Task[None] | None = None

    def seen(self, task_id: str) -> None:
        """A client read the task while it was queued or running."""
        self._seen.add(task_id)

    @contextlib.contextmanager
    def following(self, task_id: str) -> Iterator[None]:
        """A client follows the task for as long as this lasts (an open stream)."""
        self._followed[task_id] = self._followed.get(task_id, 0) + 1
        try:
            yield
        finally:
            left = self._followed[task_id] - 1
            if left:
                self._followed[task_id] = left
            else:
                del self._followed[task_id]

    async def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="task-watch")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception as exc:  # an outage: the next interval tries again
                log.debug("could not bring watched tasks' polls forward: %s", exc)

    async def flush(self) -> int:
        ids = list(self._seen | self._followed.keys())
        self._seen.clear()
        hastened = 0
        for start in range(0, len(ids), _BATCH):
            async with self.db.write() as conn:
                count = await repository.hasten(conn, ids[start : start + _BATCH], now_us())
                if count:
                    await dialect.notify_workers(conn)
            hastened += count
        if hastened and self._on_hastened is not None:
            self._on_hastened()
        return hastened
