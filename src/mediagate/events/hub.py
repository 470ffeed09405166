"""One reader of the event log per API process, fanned out in memory to its open streams.

The hub follows the whole log from where it started: woken by this process's own commits, by
PostgreSQL NOTIFY from other processes (`mediagate_events`, sent by the event trigger), and by a
short fallback poll (SQLite has no NOTIFY; a notification can be missed). Each wake-up is one
query for every stream of the process, so an idle stream costs no query at all. A stream never
depends on the hub alone: it reads its backlog from the log up to the hub's position, then takes
the hub's events after it (`events.follow`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mediagate.db import Database
from mediagate.db.dialect import EVENTS_CHANNEL
from mediagate.engine.wakeup import Wakeup
from mediagate.events import repository
from mediagate.events.ids import START, Position
from mediagate.events.repository import Row

log = logging.getLogger(__name__)
PAGE = 1000
#: Events a stream may have waiting before it is told to catch up from the log instead.
BUFFER = 2000
HELD_RETRY_S = 0.005


class Subscription:
    """What one stream receives: events after `since`, the hub's position when it (re)started.
    Kept small (a process holds thousands): slots, a list, a future only while waiting."""

    __slots__ = ("_rows", "_waiter", "account", "closed", "hub", "overflowed", "since", "task_id")

    def __init__(self, hub: EventHub, account: tuple[str, bool], task_id: str | None) -> None:
        self.hub = hub
        self.account = account
        self.task_id = task_id
        self.since: Position = hub.position
        self.overflowed = False
        self.closed = hub.closing  # the process is stopping: its stream ends at once
        self._rows: list[Row] = []
        self._waiter: asyncio.Future[None] | None = None

    def restart(self) -> Position:
        """Drop what is buffered and take events after the hub's position from now on; returns
        that position (read the log up to it to fill the gap)."""
        self._rows = []
        self.overflowed = False
        self.since = self.hub.position
        return self.since

    def push(self, row: Row) -> None:
        if self.overflowed:
            return
        if len(self._rows) >= BUFFER:
            self.overflowed = True
            self._rows = []
        else:
            self._rows.append(row)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def end(self) -> None:
        """The process is stopping: the stream ends (its client resumes elsewhere)."""
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next_rows(self, timeout_s: float) -> list[Row]:
        """What arrived (empty after `timeout_s` with nothing, on overflow, or when ended)."""
        if not self._rows and not self.overflowed and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, timeout_s)
            except TimeoutError:
                pass
            finally:
                self._waiter = None
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self.hub.unsubscribe(self)


class EventHub:
    def __init__(self, db: Database, *, poll_s: float) -> None:
        self.db = db
        self.poll_s = poll_s
        self.position: Position = START
        self._by_account: dict[tuple[str, bool], set[Subscription]] = {}
        self._by_task: dict[str, set[Subscription]] = {}
        self._wakeup = Wakeup(EVENTS_CHANNEL)
        self._task: asyncio.Task[None] | None = None
        # With no stream open the hub reads nothing (a busy process commits hundreds of times
        # a second); its position is then out of date until the next subscription.
        self._stale = True
        self.closing = False

    def close_streams(self) -> None:
        """End every stream of this process (it is stopping), so that no request is left for
        the server to cut; streams opened from now on end at once."""
        self.closing = True
        for subs in (*self._by_account.values(), *self._by_task.values()):
            for sub in subs:
                sub.end()

    @property
    def subscribers(self) -> int:
        return sum(map(len, self._by_account.values())) + sum(map(len, self._by_task.values()))

    async def start(self) -> None:
        await self._wakeup.listen(self.db.url)
        self.db.on_commit(self._wakeup.notify_local)
        self._task = asyncio.create_task(self._run(), name="event hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._wakeup.close()

    async def subscribe(
        self, account_id: str, sandbox: bool, task_id: str | None = None
    ) -> Subscription:
        """A stream of one task (`task_id`) or of the whole account (in one mode)."""
        if self._stale:
            async with self.db.read() as conn:
                head = await repository.head(conn)
            self.position = max(self.position, head)
            self._stale = False
        sub = Subscription(self, (account_id, sandbox), task_id)
        if task_id is not None:
            self._by_task.setdefault(task_id, set()).add(sub)
        else:
            self._by_account.setdefault(sub.account, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        index, key = (
            (self._by_task, sub.task_id)
            if sub.task_id is not None
            else (self._by_account, sub.account)
        )
        subs = index.get(key)  # type: ignore[call-overload]
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del index[key]  # type: ignore[arg-type]
        if not self._by_account and not self._by_task:
            self._stale = True

    async def _run(self) -> None:
        held_wait = HELD_RETRY_S
        while True:
            try:
                held = await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event log failed; retrying")
                held = False
                await asyncio.sleep(min(self.poll_s, 1.0))
            if held:
                # An older transaction is still open: look again soon, less often the longer
                # it stays open (one left idle elsewhere must not make this a busy loop).
                await asyncio.sleep(held_wait)
                held_wait = min(held_wait * 2, self.poll_s)
            else:
                held_wait = HELD_RETRY_S
                await self._wakeup.wait(self.poll_s)

    async def _read(self) -> bool:
        """Dispatch every complete event after the position; True if some are held back."""
        while self._by_account or self._by_task:
            async with self.db.read() as conn:
                rows, held = await repository.log_after(conn, self.position, PAGE)
            for row in rows:
                self._dispatch(row)
            if rows:
                self.position = max(self.position, repository.position(rows[-1]))
            if held or len(rows) < PAGE:
                return held
        return False

    def _dispatch(self, row: Row) -> None:
        for sub in self._by_task.get(row[repository.TASK_ID], ()):
            sub.push(row)
        account = (row[repository.ACCOUNT], bool(row[repository.SANDBOX]))
        for sub in self._by_account.get(account, ()):
            sub.push(row)
