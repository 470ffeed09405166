"""Everything that differs between SQLite and PostgreSQL lives here.

- engine options and connection set-up (SQLite: WAL, busy timeout, `BEGIN IMMEDIATE` for writes);
- the lock that keeps two processes from migrating at once (PostgreSQL advisory lock), and the
  ones that make claims of one provider's tasks take turns (`claim_locks`);
- folding the listing-total deltas into their counts (`compact_task_counts`);
- the fast path: raw-driver point lookups for the hottest request, and the engine's claims and
  single-row writes, skipping SQLAlchemy's layers and batched under load (an asyncpg pool on
  PostgreSQL; plain sqlite3 connections on SQLite); statements whose best form differs on
  PostgreSQL carry that form (`with_postgres_form`).
"""

from __future__ import annotations

import asyncio
import errno
import re
import sqlite3
import zlib
from collections.abc import Awaitable, Callable, Generator, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import asyncpg
import sqlalchemy.exc
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from mediagate.core.batching import Batcher
from mediagate.db.urls import DatabaseURL

WRITE_OPTION = "mediagate_write"
SQLITE_BUSY_TIMEOUT_MS = 5000
_MIGRATION_LOCK_KEY = 0x6D656469  # "medi"
_CLAIM_LOCK_CLASS = 0x66616972  # "fair": (class, provider) locks, a key space of their own
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


_COUNT_KEYS = "account_id, sandbox, key_id, day, status, model, provider"
_UPSERT_COUNTS = (
    f"INSERT INTO task_counts ({_COUNT_KEYS}, n, cost_micros) "
    f"SELECT {_COUNT_KEYS}, sum(n), sum(cost_micros) FROM {{source}} "
    f"GROUP BY {_COUNT_KEYS} ORDER BY {_COUNT_KEYS} "
    f"ON CONFLICT ({_COUNT_KEYS}) DO UPDATE SET n = task_counts.n + excluded.n, "
    "cost_micros = task_counts.cost_micros + excluded.cost_micros"
)
_PG_COMPACT = (
    "WITH moved AS (DELETE FROM task_count_deltas WHERE seq IN "
    "(SELECT seq FROM task_count_deltas ORDER BY seq LIMIT $1) "
    f"RETURNING {_COUNT_KEYS}, n, cost_micros) " + _UPSERT_COUNTS.format(source="moved")
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
#: NOTIFY channels of the event trigger (migration 0006): an event was written; a webhook
#: delivery was.
EVENTS_CHANNEL = "mediagate_events"
DELIVERIES_CHANNEL = "mediagate_deliveries"


def event_watermark_sql(backend: str) -> str:
    """SQL for the first `task_events.tx_order` that may still be written: events below it are
    complete (see migration 0006). PostgreSQL: the oldest transaction id still running, from
    the statement's own snapshot; SQLite commits in `seq` order (tx_order 0): no bound."""
    if backend == "postgresql":
        return "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    return "9223372036854775807"


#: Take a token from an API key's rate-limit bucket, on PostgreSQL (one statement, atomic
#: under concurrent requests from every API process): refill it for the time since its last
#: request, by the database's clock, then take one token if there is a whole one. Answers
#: (tokens left, granted). The same token bucket as the in-process one (`api.ratelimit`).
_REFILL = (
    "least(CAST(:capacity AS double precision), b.tokens + "
    "greatest(excluded.at - b.at, 0) * CAST(:per_us AS double precision))"
)
TAKE_RATE_TOKEN = (
    "INSERT INTO rate_buckets AS b (key_hash, tokens, at, granted) "
    "SELECT :key, CAST(:capacity AS double precision) - 1, "
    "CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS bigint), true "
    "ON CONFLICT (key_hash) DO UPDATE SET "
    f"tokens = CASE WHEN {_REFILL} >= 1 THEN {_REFILL} - 1 ELSE {_REFILL} END, "
    f"granted = {_REFILL} >= 1, at = excluded.at "
    "RETURNING tokens, granted"
)


#: What the hold trigger of migration 0007 raises when it refuses a new task's hold.
INSUFFICIENT_CREDITS = "mediagate: insufficient credits"
KEY_LIMIT_REACHED = "mediagate: key spend limit reached"


def refused_hold(exc: BaseException) -> str | None:
    """`INSUFFICIENT_CREDITS` or `KEY_LIMIT_REACHED` if `exc` (a failed insert or commit) is
    the hold trigger refusing a task's hold; None for anything else."""
    text_ = str(getattr(exc, "orig", exc))
    for reason in (INSUFFICIENT_CREDITS, KEY_LIMIT_REACHED):
        if reason in text_:
            return reason
    return None


#: SQLSTATE classes and codes of PostgreSQL meaning "cannot serve now", not "bad statement":
#: connection exceptions, insufficient resources (disk full, out of memory, too many
#: connections), operator intervention (shutdown, starting up), system I/O errors.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57P", "58")
#: SQLite primary result codes of the same kind: busy or locked past the busy timeout, a
#: read-only file, I/O error, disk full, cannot open, lock protocol.
_SQLITE_UNAVAILABLE = {5, 6, 8, 10, 13, 14, 15}
#: OS errors of a store or a database connection that is not there (refused, reset, no route,
#: timed out, I/O error, disk full, read-only file system, over quota).
_OS_UNAVAILABLE = {
    errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
    errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE, errno.EIO, errno.ENOSPC, errno.EROFS,
    errno.EDQUOT,
}  # fmt: skip


def unavailable(exc: BaseException) -> bool:
    """True if `exc` (or what it wraps: SQLAlchemy's `orig`, a cause or context) says the
    database or the storage cannot be reached or written now (an outage: answered 503, retried
    by clients), rather than that a request or the code is wrong."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _unavailable_one(current):
            return True
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return False


def _unavailable_one(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        return state.startswith(_PG_UNAVAILABLE_CLASSES)
    if isinstance(exc, asyncpg.exceptions.ConnectionDoesNotExistError):
        return True  # the server went away in the middle of a statement
    if isinstance(exc, asyncpg.exceptions.InterfaceError):
        return "connection is closed" in str(exc)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    if isinstance(exc, OSError):
        return exc.errno in _OS_UNAVAILABLE or isinstance(exc, ConnectionError)
    if isinstance(exc, TimeoutError | sqlalchemy.exc.TimeoutError):
        return True  # waiting for a connection (a pool's timeout) or a connect attempt
    return bool(getattr(exc, "connection_invalidated", False))  # SQLAlchemy: a dead connection


async def notify_workers(conn: AsyncConnection) -> None:
    """Wake workers in other processes when this transaction commits (PostgreSQL NOTIFY);
    SQLite has no such thing, and its workers poll (in-process ones get an event)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"NOTIFY {TASKS_CHANNEL}")


async def notify_deliveries(conn: AsyncConnection) -> None:
    """Wake webhook senders in every process when this transaction commits (PostgreSQL
    NOTIFY, as the event trigger sends for the deliveries it makes)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"NOTIFY {DELIVERIES_CHANNEL}")


def lock_skipped(select_sql: str, postgres: bool) -> str:
    """The claim's candidate rows: locked and skipped when others hold them (PostgreSQL); on
    SQLite the write transaction is the only writer, so plain rows are enough."""
    return f"{select_sql} FOR UPDATE SKIP LOCKED" if postgres else select_sql


def claim_locks(names: Sequence[str]) -> tuple[str, list[int]]:
    """PostgreSQL: one statement taking a lock per name (a provider) until the transaction
    ends, every claimer in the same order, so claims of overlapping providers queue and never
    deadlock. (SQLite needs none: a write transaction is the only writer.)"""
    keys = sorted({_int32(zlib.crc32(name.encode())) for name in names})
    locks = ", ".join(f"pg_advisory_xact_lock({_CLAIM_LOCK_CLASS}, ?)" for _ in keys)
    return f"SELECT {locks}", keys


def _int32(n: int) -> int:
    return n - (1 << 32) if n >= 1 << 31 else n


def greatest(a: str, b: str, postgres: bool) -> str:
    """SQL for the larger of `a` and `b`, or `a` when `b` is NULL (PostgreSQL's `GREATEST`
    skips NULLs; SQLite's two-argument `max` would answer NULL). `b` appears once."""
    return f"GREATEST({a}, {b})" if postgres else f"max({a}, coalesce({b}, {a}))"


_POSTGRES_FORMS: dict[str, str] = {}


def with_postgres_form(sql: str, postgres: str) -> str:
    """`sql` (the fast path's text on SQLite), noting `postgres` as the text PostgreSQL's fast
    path runs in its place: for a statement whose cheap form differs (SQLite cannot take a
    LIMIT that depends on the row, PostgreSQL can)."""
    _POSTGRES_FORMS[sql] = postgres
    return sql


T = TypeVar("T")
#: A transaction written once for both databases: a generator that yields each statement
#: (`?` placeholders, and its arguments), is sent the statement's rows, and returns its result.
Script = Generator[tuple[str, Sequence[Any]], list[Sequence[Any]], T]


def _drive(script: Script[T], run: Callable[[str, Sequence[Any]], list[Sequence[Any]]]) -> T:
    """Run `script` with a blocking `run(sql, args) -> rows`."""
    try:
        statement = next(script)
        while True:
            statement = script.send(run(*statement))
    except StopIteration as done:
        return done.value


async def _drive_async(
    script: Script[T], run: Callable[[str, Sequence[Any]], Awaitable[list[Sequence[Any]]]]
) -> T:
    try:
        statement = next(script)
        while True:
            statement = script.send(await run(*statement))
    except StopIteration as done:
        return done.value


class FastPath(Protocol):
    """The raw-driver path for the hottest statements, skipping SQLAlchemy's layers."""

    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        """Run `sql` (written with `?` placeholders) and return the first row or None."""

    async def update(
        self, sql: str, args: Sequence[Any], *, types: Sequence[str], key: Hashable
    ) -> int:
        """Run the single-row write `sql` (`UPDATE <table> SET c = ?, ... WHERE ...`, written
        with `?` placeholders whose SQL types are `types`, in order) and return its row count.
        `key` names the row: writes of one row are never batched together. Writes commit by
        themselves (a batch commits together); a write that fails raises, and fails no other."""

    async def write_returning(self, sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
        """Run one write `sql` (`?` placeholders) that returns rows, committed by itself."""

    async def transaction(self, script: Script[T]) -> T:
        """Run `script`'s statements in one transaction, committed when it returns; if it
        raises, nothing it wrote stays."""

    async def close(self) -> None: ...


_QMARK = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _QMARK.sub(lambda _m: f"${next(counter)}", sql)


def cast_types(table: Table, columns: Sequence[str]) -> tuple[str, ...]:
    """The PostgreSQL type of each of `columns`, for `FastPath.update`'s `types`."""
    return tuple(str(table.c[name].type.compile(dialect=postgresql.dialect())) for name in columns)


async def _keep_session(_conn: asyncpg.Connection) -> None:
    return None


class PostgresFastPath:
    """Point lookups and single-row writes on an asyncpg pool, batched under load.

    A batch of lookups is one statement: `unnest(...) WITH ORDINALITY` joined LATERAL to the
    single-row statement (batched lookups must take text parameters only and return at most
    one row whose first column is never NULL). A batch of writes is one `UPDATE ... FROM
    unnest(...)` whose `RETURNING` says which rows it wrote; if that statement fails, each write
    of the batch is run alone, so one bad write fails only itself.
    """

    def __init__(self, pool: asyncpg.Pool, committed: Callable[[], None]) -> None:
        self._pool = pool
        self._committed = committed
        self._reads = Batcher(self._run_reads)
        self._writes = Batcher(self._run_writes)
        self._single: dict[str, str] = {}
        self._batched: dict[str, str] = {}

    @classmethod
    async def open(cls, dsn: str, committed: Callable[[], None]) -> PostgresFastPath:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=8,
            server_settings={"jit": "off"},
            # The pool runs only single statements that commit by themselves and leave no
            # session state behind: skip the reset query asyncpg would send on every release.
            reset=_keep_session,
        )
        return cls(pool, committed)

    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        return await self._reads.call(_POSTGRES_FORMS.get(sql, sql), args)

    async def update(
        self, sql: str, args: Sequence[Any], *, types: Sequence[str], key: Hashable
    ) -> int:
        # The types travel inside the batching key, so each statement text knows its own.
        return await self._writes.call(f"{sql}\0{','.join(types)}", args, key)

    async def write_returning(self, sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(self._single_sql(sql), *args)
        self._committed()
        return rows

    async def transaction(self, script: Script[T]) -> T:
        async def run(sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
            return await conn.fetch(self._single_sql(sql), *args)

        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    return await _drive_async(script, run)
            finally:
                self._committed()

    def _single_sql(self, sql: str) -> str:
        return self._single.get(sql) or self._single.setdefault(sql, _numbered(sql))

    async def _run_reads(self, sql: str, batch: list[Sequence[Any]]) -> list[Any]:
        async with self._pool.acquire() as conn:
            if len(batch) == 1:
                return [await conn.fetchrow(self._single_sql(sql), *batch[0])]
            batched = self._batched.get(sql) or self._batched.setdefault(sql, _batched_read(sql))
            found: list[Any] = [None] * len(batch)
            for record in await conn.fetch(batched, *_text_columns(batch)):
                if record[1] is not None:
                    found[record[0] - 1] = tuple(record)[1:]
            return found

    async def _run_writes(self, typed_sql: str, batch: list[Sequence[Any]]) -> list[Any]:
        try:
            return await self._write_batch(typed_sql, batch)
        finally:
            self._committed()

    async def _write_batch(self, typed_sql: str, batch: list[Sequence[Any]]) -> list[Any]:
        sql, _, types = typed_sql.partition("\0")
        async with self._pool.acquire() as conn:
            if len(batch) > 1:
                batched = self._batched.get(typed_sql) or self._batched.setdefault(
                    typed_sql, _batched_update(sql, types.split(","))
                )
                try:
                    written = {r[0] for r in await conn.fetch(batched, *_text_columns(batch))}
                except asyncpg.PostgresError:
                    pass  # run them one by one: only the bad write fails
                else:
                    return [int(n in written) for n in range(1, len(batch) + 1)]
            results: list[Any] = []
            for args in batch:
                try:
                    status = await conn.execute(self._single_sql(sql), *args)
                    results.append(int(status.rsplit(" ", 1)[-1]))
                except asyncpg.PostgresError as exc:
                    results.append(exc)
            return results

    async def close(self) -> None:
        await self._pool.close()


def _text_columns(batch: list[Sequence[Any]]) -> list[list[str | None]]:
    """The batch's parameters as one text array per placeholder."""
    return [
        [None if value is None else str(value) for value in column]
        for column in zip(*batch, strict=True)
    ]


def _batched_read(sql: str) -> str:
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


def _batched_update(sql: str, types: Sequence[str]) -> str:
    """`UPDATE t SET ... WHERE ...` run once per element of text arrays $1..$n (cast back to
    `types`), returning the 1-based position of each write that matched its row."""
    if not sql.startswith("UPDATE ") or sql.count(" WHERE ") != 1:
        raise ValueError(f"not a single-table UPDATE ... WHERE: {sql!r}")
    if sql.count("?") != len(types):
        raise ValueError(f"{sql.count('?')} placeholders but {len(types)} types")
    counter = iter(range(1, len(types) + 1))

    def param(_m: re.Match[str]) -> str:
        i = next(counter)
        return f"q.p{i}::{types[i - 1]}"

    body, where = _QMARK.sub(param, sql).split(" WHERE ")
    names = ", ".join(f"p{i}" for i in range(1, len(types) + 1))
    arrays = ", ".join(f"${i}::text[]" for i in range(1, len(types) + 1))
    return (
        f"{body} FROM unnest({arrays}) WITH ORDINALITY AS q({names}, n) WHERE {where} RETURNING q.n"
    )


class SqliteFastPath:
    """Reads on a read-only sqlite3 connection queried on the event loop itself (a
    primary-key read in WAL mode takes microseconds and never waits for writers, which is
    cheaper than a hop to a thread). Writes go to a second connection in a thread of their own:
    all the writes waiting when it is free run in one `BEGIN IMMEDIATE` transaction, one hop
    and one commit for the lot. A write that fails is undone alone (SQLite rolls back only the
    failing statement) and the others commit."""

    def __init__(self, path: str, write_lock: asyncio.Lock, committed: Callable[[], None]) -> None:
        self._committed = committed
        self._reader = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        self._reader.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        self._writer = sqlite3.connect(
            path,
            check_same_thread=False,
            isolation_level=None,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        )
        self._writer.execute("PRAGMA synchronous=NORMAL")
        self._writer.execute("PRAGMA foreign_keys=ON")
        self._write_lock = write_lock  # shared with the process's SQLAlchemy writers
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writes")
        self._writes = Batcher(self._run_writes, max_batch=256, max_inflight=1)

    async def fetchrow(self, sql: str, args: Sequence[Any]) -> Sequence[Any] | None:
        return self._reader.execute(sql, tuple(args)).fetchone()

    async def update(
        self, sql: str, args: Sequence[Any], *, types: Sequence[str], key: Hashable
    ) -> int:
        # One queue for every statement: a transaction takes them all, so rows may repeat.
        return await self._writes.call("", (sql, tuple(args), False))

    async def write_returning(self, sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
        return await self._writes.call("", (sql, tuple(args), True))

    async def transaction(self, script: Script[T]) -> T:
        # Inside the writers' next transaction, behind a savepoint of its own.
        return await self._writes.call("", (None, script, False))

    async def _run_writes(self, _sql: str, batch: list[Sequence[Any]]) -> list[Any]:
        async with self._write_lock:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._thread, self._write_all, batch)
            finally:
                self._committed()

    def _write_all(self, batch: list[Sequence[Any]]) -> list[Any]:
        results: list[Any] = []
        self._writer.execute("BEGIN IMMEDIATE")
        try:
            for sql, args, returning in batch:
                if sql is None:
                    results.append(self._run_script(args))
                    continue
                try:
                    cursor = self._writer.execute(sql, args)
                    results.append(cursor.fetchall() if returning else cursor.rowcount)
                except sqlite3.DatabaseError as exc:
                    results.append(exc)
            self._writer.execute("COMMIT")
        except BaseException:
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
            raise
        return results

    def _run_script(self, script: Script[Any]) -> Any:
        """A script's statements behind a savepoint: if it fails, only its writes are undone
        (the exception is its result)."""
        self._writer.execute("SAVEPOINT script")
        try:
            result = _drive(script, lambda sql, args: self._writer.execute(sql, args).fetchall())
        except Exception as exc:
            self._writer.execute("ROLLBACK TO script")
            result = exc
        self._writer.execute("RELEASE script")
        return result

    async def close(self) -> None:
        self._reader.close()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._writer.close)
        self._thread.shutdown(wait=False)


async def open_fast_path(
    url: DatabaseURL, write_lock: asyncio.Lock | None, committed: Callable[[], None]
) -> FastPath:
    """`committed` is called after each write (batch) ends, on the event loop."""
    if url.backend == "postgresql":
        assert url.dsn is not None
        return await PostgresFastPath.open(url.dsn, committed)
    assert write_lock is not None
    return SqliteFastPath(str(url.sqlite_path), write_lock, committed)
