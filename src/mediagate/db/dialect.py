"""Everything that differs between SQLite and PostgreSQL lives here.

- engine options and connection set-up (SQLite: WAL, busy timeout, `BEGIN IMMEDIATE` for writes);
- the lock that keeps two processes from migrating at once (PostgreSQL advisory lock);
- folding the listing-total deltas into their counts (`compact_task_counts`);
- the fast read path: a raw-driver point lookup for the hottest request, skipping the ORM layer.
  On PostgreSQL it is an asyncpg pool with prepared statements; on SQLite a read-only sqlite3
  connection queried on the event loop itself (a primary-key read in WAL mode takes microseconds
  and never waits for writers, which is cheaper than a hop to a thread).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from mediagate.db.urls import DatabaseURL

WRITE_OPTION = "mediagate_write"
SQLITE_BUSY_TIMEOUT_MS = 5000
_MIGRATION_LOCK_KEY = 0x6D656469  # "medi"
_COMPACTION_LOCK_KEY = 0x636E7473  # "cnts"


def create_engine(url: DatabaseURL) -> AsyncEngine:
    if url.backend == "postgresql":
        return create_async_engine(
            url.sqlalchemy_url,
            # A fixed set of connections, kept open: steps and requests queue for one rather
            # than opening (and TLS-negotiating) throwaway overflow connections under load.
            pool_size=32,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"server_settings": {"jit": "off"}},
        )
    assert url.sqlite_path is not None
    url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url.sqlalchemy_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock upgrading a
        # read lock; readers stay deferred and never block anyone in WAL mode.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def lock_for_migrations(connection: Connection) -> None:
    """Serialise concurrent migrations (several `serve` processes starting at once)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")


_COUNT_KEYS = "account_id, day, status, model, provider"
_UPSERT_COUNTS = (
    f"INSERT INTO task_counts ({_COUNT_KEYS}, n) SELECT {_COUNT_KEYS}, sum(n) FROM {{source}} "
    f"GROUP BY {_COUNT_KEYS} ORDER BY {_COUNT_KEYS} "
    f"ON CONFLICT ({_COUNT_KEYS}) DO UPDATE SET n = task_counts.n + excluded.n"
)
_PG_COMPACT = (
    "WITH moved AS (DELETE FROM task_count_deltas WHERE seq IN "
    "(SELECT seq FROM task_count_deltas ORDER BY seq LIMIT $1) "
    f"RETURNING {_COUNT_KEYS}, n) " + _UPSERT_COUNTS.format(source="moved")
)


async def compact_task_counts(conn: AsyncConnection, batch: int = 50_000) -> int:
    """Fold up to `batch` count deltas into `task_counts` (inside the caller's write
    transaction); returns how many count rows changed. Safe to run from many processes."""
    if conn.dialect.name == "postgresql":
        # One statement is one snapshot: exactly the deltas it deletes are the ones it adds.
        # The lock keeps two compactors from queueing on each other's rows.
        locked = await conn.exec_driver_sql(
            f"SELECT pg_try_advisory_xact_lock({_COMPACTION_LOCK_KEY})"
        )
        if not locked.scalar():
            return 0
        result = await conn.exec_driver_sql(_PG_COMPACT, (batch,))
        return result.rowcount
    # SQLite: the write transaction is the only writer, so the statements see one state.
    upto = (
        await conn.exec_driver_sql(
            "SELECT max(seq) FROM (SELECT seq FROM task_count_deltas ORDER BY seq LIMIT ?)",
            (batch,),
        )
    ).scalar()
    if upto is None:
        return 0
    source = f"task_count_deltas WHERE seq <= {int(upto)}"
    result = await conn.exec_driver_sql(_UPSERT_COUNTS.format(source=source))
    await conn.exec_driver_sql("DELETE FROM task_count_deltas WHERE seq <= ?", (upto,))
    return result.rowcount


TASKS_CHANNEL = "mediagate_tasks"


async def notify_workers(conn: AsyncConnection) -> None:
    """Wake workers in other processes when this transaction commits (PostgreSQL NOTIFY);
    SQLite has no such thing, and its workers poll (in-process ones get an event)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"NOTIFY {TASKS_CHANNEL}")


def lock_skipped(select_sql: str, postgres: bool) -> str:
    """The claim's candidate rows: locked and skipped when others hold them (PostgreSQL); on
    SQLite the write transaction is the only writer, so plain rows are enough."""
    return f"{select_sql} FOR UPDATE SKIP LOCKED" if postgres else select_sql


class FastReader(Protocol):
    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        """Run `sql` (written with `?` placeholders) and return the first row or None."""

    async def close(self) -> None: ...


_QMARK = re.compile(r"\?")


def driver_sql_for(sql: str, postgres: bool) -> str:
    """`sql` written with `?` placeholders, in the driver's own style (asyncpg: `$1`...), for
    `exec_driver_sql` on hot paths that skip statement construction and compilation."""
    return _numbered(sql) if postgres else sql


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _QMARK.sub(lambda _m: f"${next(counter)}", sql)


async def _keep_session(_conn: asyncpg.Connection) -> None:
    return None


class PostgresFastReader:
    """Point lookups on an asyncpg pool, batched under load.

    Lookups that arrive while earlier ones are in flight are sent together as one statement
    (`unnest(...) WITH ORDINALITY` joined LATERAL to the single-row statement), so a burst of
    polls costs a few round trips instead of one each. A lookup that finds the pool idle goes
    alone, as the plain prepared statement, with no added wait. Batched statements must take
    text parameters only and return at most one row whose first column is never NULL.
    """

    def __init__(self, pool: asyncpg.Pool, *, max_batch: int = 64, max_inflight: int = 4) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._inflight = 0
        self._pending: dict[str, list[tuple[Sequence[Any], asyncio.Future[Any]]]] = {}
        self._single: dict[str, str] = {}
        self._batched: dict[str, str] = {}

    @classmethod
    async def open(cls, dsn: str) -> PostgresFastReader:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=8,
            server_settings={"jit": "off"},
            # The pool runs only single read-only statements, which leave no session state
            # behind: skip the reset query asyncpg would otherwise send on every release.
            reset=_keep_session,
        )
        return cls(pool)

    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(sql, []).append((args, future))
        if self._inflight < self._max_inflight:
            self._inflight += 1
            asyncio.get_running_loop().create_task(self._drain(sql))
        return await future

    async def _drain(self, sql: str) -> None:
        try:
            queue = self._pending[sql]
            while queue:
                batch = queue[: self._max_batch]
                del queue[: self._max_batch]
                try:
                    rows = await self._run(sql, batch)
                except Exception as exc:
                    for _args, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_args, future), row in zip(batch, rows, strict=True):
                    if not future.done():
                        future.set_result(row)
        finally:
            self._inflight -= 1

    async def _run(
        self, sql: str, batch: list[tuple[Sequence[Any], asyncio.Future[Any]]]
    ) -> list[Sequence[Any] | None]:
        async with self._pool.acquire() as conn:
            if len(batch) == 1:
                single = self._single.get(sql) or self._single.setdefault(sql, _numbered(sql))
                return [await conn.fetchrow(single, *batch[0][0])]
            batched = self._batched.get(sql) or self._batched.setdefault(sql, _batched(sql))
            columns = list(zip(*(args for args, _f in batch), strict=True))
            found: list[Sequence[Any] | None] = [None] * len(batch)
            for record in await conn.fetch(batched, *columns):
                if record[1] is not None:
                    found[record[0] - 1] = tuple(record)[1:]
            return found

    async def close(self) -> None:
        await self._pool.close()


def _batched(sql: str) -> str:
    """`sql` run once per element of text arrays $1..$n, each result row tagged with its
    1-based position (column 0)."""
    count = sql.count("?")
    names = [f"p{i}" for i in range(1, count + 1)]
    counter = iter(names)
    inner = _QMARK.sub(lambda _m: f"q.{next(counter)}", sql)
    arrays = ", ".join(f"${i}::text[]" for i in range(1, count + 1))
    return (
        f"SELECT q.n, r.* FROM unnest({arrays}) WITH ORDINALITY AS q({', '.join(names)}, n) "
        f"LEFT JOIN LATERAL ({inner}) r ON true"
    )


class SqliteFastReader:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        self._conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        return self._conn.execute(sql, tuple(args)).fetchone()

    async def close(self) -> None:
        self._conn.close()


async def open_fast_reader(url: DatabaseURL) -> FastReader:
    if url.backend == "postgresql":
        assert url.dsn is not None
        return await PostgresFastReader.open(url.dsn)
    return SqliteFastReader(str(url.sqlite_path))
