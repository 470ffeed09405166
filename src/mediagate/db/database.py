"""The process-wide handle on the database: one engine, reads, writes and the fast path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mediagate.db import dialect
from mediagate.db.urls import DatabaseURL


class Database:
    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.engine: AsyncEngine = dialect.create_engine(url)
        self._fast: dialect.FastPath | None = None
        # SQLite has one writer: queue this process's writers here, where waiting is a cheap
        # await, instead of in SQLite's busy handler, which sleeps and retries.
        self._write_lock = asyncio.Lock() if url.backend == "sqlite" else None
        self._on_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` (on the event loop) after each write of this process commits: the
        in-process wake-up of what follows the database (other processes use NOTIFY)."""
        self._on_commit.append(callback)

    def committed(self) -> None:
        for callback in self._on_commit:
            callback()

    @property
    def backend(self) -> str:
        return self.url.backend

    @property
    def fast(self) -> dialect.FastPath:
        if self._fast is None:
            raise RuntimeError("Database.open() was not awaited")
        return self._fast

    async def open(self) -> None:
        if self._fast is None:
            self._fast = await dialect.open_fast_path(self.url, self._write_lock, self.committed)

    async def close(self) -> None:
        if self._fast is not None:
            await self._fast.close()
            self._fast = None
        await self.engine.dispose()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits on success and rolls back on error."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
            conn = await stack.enter_async_context(self.engine.connect())
            await conn.execution_options(**{dialect.WRITE_OPTION: True})
            await stack.enter_async_context(conn.begin())
            yield conn
        self.committed()
