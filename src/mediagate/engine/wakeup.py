"""Waking what follows the database: idle workers when a task is created or cancelled, the
event hub when an event is written, the webhook sender when a delivery is.

Polling the database stays the source of truth; this only makes them look sooner: an
in-process event always, plus PostgreSQL LISTEN/NOTIFY between processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from mediagate.db.dialect import TASKS_CHANNEL
from mediagate.db.urls import DatabaseURL

log = logging.getLogger(__name__)


class Wakeup:
    def __init__(self, channel: str = TASKS_CHANNEL) -> None:
        self.channel = channel
        self._event = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        """Whether NOTIFY from other processes wakes it (PostgreSQL, once `listen` worked)."""
        return self._listener is not None

    def notify_local(self) -> None:
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        """Return when woken or after `timeout_s`, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(timeout_s, 0.0)):
                await self._event.wait()
        self._event.clear()

    async def listen(self, url: DatabaseURL) -> None:
        """On PostgreSQL, also wake on NOTIFY from other processes (best effort)."""
        if url.backend != "postgresql":
            return
        try:
            self._listener = await asyncpg.connect(url.dsn)
            await self._listener.add_listener(self.channel, lambda *_: self._event.set())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("LISTEN %s failed (%s); relying on polling", self.channel, exc)
            self._listener = None

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
