"""Every query on the tasks table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    func,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles

from mediagate.db import dialect
from mediagate.db.tables import COUNT_DAY_US, task_count_deltas, task_counts, tasks
from mediagate.engine.repository import STRIDE
from mediagate.tasks.statuses import ACTIVE, Status


def _queue_position_sql(postgres: bool) -> str:
    """A pending task's place in its provider's queue as fair claims order it (other tasks
    keep the provider's figure). Claims give the accounts waiting at a provider turns in
    proportion to their shares: the task is its account's (r+1)-th, so ahead of it are the r
    before it and, of each other waiting account, the tasks whose turn comes first: about
    r x share / this account's share (a tie goes to the task due first). Turns are counted as if
    every account started now, and limits are not counted. Cost: a skip scan of the accounts
    (`ix_tasks_pending_by_account`, one descent each), plus on PostgreSQL the tasks ahead
    (counts stop at each account's share of turns; SQLite, which cannot take a LIMIT from the
    row, counts each waiting account's pending tasks)."""
    first = "ORDER BY b.run_at LIMIT o.j0 + 1" if postgres else ""
    return (
        "CASE WHEN tasks.status = 'pending' THEN CAST((WITH RECURSIVE "
        "waiting(account_id) AS (SELECT (SELECT min(w.account_id) FROM tasks w "
        "WHERE w.provider = tasks.provider AND w.status = 'pending') "
        "UNION ALL SELECT (SELECT min(w.account_id) FROM tasks w WHERE w.provider = tasks.provider "
        "AND w.status = 'pending' AND w.account_id > waiting.account_id) FROM waiting "
        "WHERE waiting.account_id IS NOT NULL), "
        # r: this task's rank in its account; q: where its turn comes (in `STRIDE` units).
        f"mine(r, q) AS (SELECT count(*), count(*) * (SELECT {STRIDE} / share FROM accounts "
        "WHERE id = tasks.account_id) FROM tasks m WHERE m.provider = tasks.provider "
        "AND m.account_id = tasks.account_id AND m.status = 'pending' "
        "AND m.run_at < tasks.run_at), "
        # Another account's tasks before j0 turn first; its j0-th ties when `tie`.
        f"strides(account_id, stride) AS MATERIALIZED (SELECT account_id, (SELECT {STRIDE} / share "
        "FROM accounts WHERE id = waiting.account_id) FROM waiting "
        "WHERE account_id IS NOT NULL AND account_id <> tasks.account_id), "
        "others(account_id, j0, tie) AS (SELECT o.account_id, mine.q / o.stride, "
        "CASE WHEN (mine.q / o.stride) * o.stride = mine.q THEN 1 ELSE 0 END "
        "FROM strides o CROSS JOIN mine), "
        "ahead(n) AS (SELECT (SELECT CASE WHEN y.n < y.k THEN y.n ELSE y.k END FROM ("
        "SELECT count(*) AS n, o.j0 + 1 - CASE WHEN o.tie = 1 AND "
        "count(CASE WHEN x.run_at < tasks.run_at THEN 1 END) <= o.j0 THEN 1 ELSE 0 END AS k "
        "FROM (SELECT b.run_at FROM tasks b WHERE b.provider = tasks.provider "
        f"AND b.account_id = o.account_id AND b.status = 'pending' {first}) x) y) FROM others o) "
        "SELECT mine.r + COALESCE((SELECT sum(n) FROM ahead), 0) FROM mine"
        ") AS INTEGER) ELSE tasks.queue_position END"
    )


class _QueuePosition(ColumnElement[int]):
    """`_queue_position_sql` for the dialect at hand."""

    inherit_cache = True
    type = Integer()


@compiles(_QueuePosition)
def _queue_position_sqlite(_element: _QueuePosition, _compiler: Any, **_kw: Any) -> str:
    return _queue_position_sql(postgres=False)


@compiles(_QueuePosition, "postgresql")
def _queue_position_postgres(_element: _QueuePosition, _compiler: Any, **_kw: Any) -> str:
    return _queue_position_sql(postgres=True)


#: A pending task's place in the fair order of its provider's queue (`_queue_position_sql`).
QUEUE_POSITION = _QueuePosition().label("queue_position")

#: The columns of the public task object, in the order `serialize` reads them.
PUBLIC_COLUMNS = (
    tasks.c.id,
    tasks.c.type,
    tasks.c.status,
    tasks.c.provider,
    tasks.c.model,
    tasks.c.progress,
    QUEUE_POSITION,
    tasks.c.eta_seconds,
    tasks.c.cost_micros,
    tasks.c.result,
    tasks.c.error_code,
    tasks.c.error_message,
    tasks.c.created_at,
    tasks.c.started_at,
    tasks.c.completed_at,
    tasks.c.metadata,
    tasks.c.sandbox,
    tasks.c.input,
)

_NAMES = [c.name for c in PUBLIC_COLUMNS]
ID = _NAMES.index("id")
CREATED_AT = _NAMES.index("created_at")

#: Authentication and lookup in one indexed statement, run on the raw driver (the hot path).
#: Column 0 is the key's account. No row: the key is unknown or revoked. Task columns all NULL:
#: no such task for this account in the key's mode (a test key's tasks are sandbox ones), which
#: answers exactly like a task of another account.


def _get_for_key_sql(postgres: bool) -> str:
    columns = (
        _queue_position_sql(postgres) if c is QUEUE_POSITION else f"tasks.{c.name}"
        for c in PUBLIC_COLUMNS
    )
    return (
        f"SELECT k.account_id, {', '.join(columns)} FROM api_keys k "
        "LEFT JOIN tasks ON tasks.id = ? AND tasks.account_id = k.account_id "
        "AND tasks.sandbox = CASE WHEN k.mode = 'test' THEN 1 ELSE 0 END "
        "WHERE k.key_hash = ? AND k.revoked_at IS NULL"
    )


GET_FOR_KEY_SQL = dialect.with_postgres_form(_get_for_key_sql(False), _get_for_key_sql(True))


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    provider: str | None = None
    model: str | None = None
    created_from: int | None = None  # inclusive, microseconds
    created_before: int | None = None  # exclusive, microseconds
    id_prefix: str | None = None
    type: str | None = None


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(tasks.insert().values(**values))


def _owned(account_id: str, sandbox: bool) -> list[ColumnElement[bool]]:
    """The account's tasks of one mode: sandbox and live data never mix."""
    return [tasks.c.account_id == account_id, tasks.c.sandbox == int(sandbox)]


async def get(
    conn: AsyncConnection, account_id: str, sandbox: bool, task_id: str
) -> Sequence[Any] | None:
    return (
        await conn.execute(
            select(*PUBLIC_COLUMNS).where(tasks.c.id == task_id, *_owned(account_id, sandbox))
        )
    ).first()


async def find_idempotent(
    conn: AsyncConnection, account_id: str, sandbox: bool, key: str
) -> tuple[str, str | None] | None:
    """(task id, request fingerprint) of the task created earlier with this key (in this mode:
    a live and a test key's uses of one Idempotency-Key are two keys)."""
    row = (
        await conn.execute(
            select(tasks.c.id, tasks.c.request_hash).where(
                *_owned(account_id, sandbox), tasks.c.idempotency_key == key
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


def _conditions(account_id: str, sandbox: bool, f: ListFilters) -> list[ColumnElement[bool]]:
    where = _owned(account_id, sandbox)
    if f.status is not None:
        where.append(tasks.c.status == f.status)
    if f.provider is not None:
        where.append(tasks.c.provider == f.provider)
    if f.model is not None:
        where.append(tasks.c.model == f.model)
    if f.created_from is not None:
        where.append(tasks.c.created_at >= f.created_from)
    if f.created_before is not None:
        where.append(tasks.c.created_at < f.created_before)
    if f.type is not None:
        where.append(tasks.c.type == f.type)
    if f.id_prefix is not None:
        # substr, not LIKE: ids are case-sensitive and SQLite's LIKE is not.
        where.append(func.substr(tasks.c.id, 1, len(f.id_prefix)) == f.id_prefix)
    return where


async def page(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool,
    filters: ListFilters,
    *,
    after: tuple[int, str] | None,
    limit: int,
    ascending: bool = False,
) -> list[Sequence[Any]]:
    """Up to `limit` tasks, newest first (oldest first if `ascending`), strictly after the
    keyset position `after`."""
    where = _conditions(account_id, sandbox, filters)
    position = tuple_(tasks.c.created_at, tasks.c.id)
    if after is not None:
        where.append(position > tuple_(*after) if ascending else position < tuple_(*after))
    order = (
        (tasks.c.created_at.asc(), tasks.c.id.asc())
        if ascending
        else (tasks.c.created_at.desc(), tasks.c.id.desc())
    )
    query = select(*PUBLIC_COLUMNS).where(and_(*where)).order_by(*order).limit(limit)
    return list((await conn.execute(query)).all())


async def count(conn: AsyncConnection, account_id: str, sandbox: bool, f: ListFilters) -> int:
    """How many tasks match `f`: from the per-day counts for whole days, exactly for the rest.

    Only a search (an id prefix) and the partial days at the edges of a date range count rows
    of `tasks`; everything else sums a few count rows, whatever the number of tasks.
    """
    if f.id_prefix is not None or f.type is not None:  # the per-day counts have no type
        return await _count_rows(conn, account_id, sandbox, f)
    lo, hi = f.created_from, f.created_before
    first_day = None if lo is None else -(-lo // COUNT_DAY_US)  # first day starting at or after lo
    end_day = None if hi is None else hi // COUNT_DAY_US  # first day not ending before hi
    if first_day is not None and end_day is not None and first_day >= end_day:
        return await _count_rows(conn, account_id, sandbox, f)  # the range lies within two days
    total = await _count_days(conn, account_id, sandbox, f, first_day, end_day)
    if lo is not None and first_day is not None and lo < first_day * COUNT_DAY_US:
        edge = replace(f, created_before=first_day * COUNT_DAY_US)
        total += await _count_rows(conn, account_id, sandbox, edge)
    if hi is not None and end_day is not None and end_day * COUNT_DAY_US < hi:
        edge = replace(f, created_from=end_day * COUNT_DAY_US)
        total += await _count_rows(conn, account_id, sandbox, edge)
    return total


async def _count_rows(conn: AsyncConnection, account_id: str, sandbox: bool, f: ListFilters) -> int:
    where = _conditions(account_id, sandbox, f)
    query = select(func.count()).select_from(tasks).where(and_(*where))
    return int(await conn.scalar(query) or 0)


async def _count_days(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool,
    f: ListFilters,
    first: int | None,
    end: int | None,
) -> int:
    """Sum of the counts (compacted and pending deltas) of days in [first, end)."""
    parts = []
    for table in (task_counts, task_count_deltas):
        where = [table.c.account_id == account_id, table.c.sandbox == int(sandbox)]
        for column, value in (("status", f.status), ("provider", f.provider), ("model", f.model)):
            if value is not None:
                where.append(table.c[column] == value)
        if first is not None:
            where.append(table.c.day >= first)
        if end is not None:
            where.append(table.c.day < end)
        parts.append(select(table.c.n).where(*where))
    both = union_all(*parts).subquery()
    return int(await conn.scalar(select(func.coalesce(func.sum(both.c.n), 0))) or 0)


async def cancel_unfinished(
    conn: AsyncConnection, account_id: str, sandbox: bool, task_id: str, now: int
) -> bool:
    """Cancel a task that is not final, at once. A task that may have a provider job (queued,
    running, or mid-submit) is left due with `cancel_requested`, so the engine stops the job;
    a worker holding it can no longer write a result (its writes require an unfinished task)."""
    may_have_job = or_(tasks.c.provider_job_id.is_not(None), tasks.c.submit_started_at.is_not(None))
    result = await conn.execute(
        update(tasks)
        .where(
            tasks.c.id == task_id,
            *_owned(account_id, sandbox),
            tasks.c.status.in_(ACTIVE),
        )
        .values(
            status=Status.CANCELLED,
            completed_at=now,
            updated_at=now,
            queue_position=-1,
            eta_seconds=-1,
            cancel_requested=case((may_have_job, 1), else_=0),
            run_at=case((may_have_job, now), else_=None),
        )
    )
    return result.rowcount == 1


async def hasten(conn: AsyncConnection, task_ids: Sequence[str], soon: int) -> int:
    """Bring the next poll of tasks a client follows forward to `soon` (never later, and never
    a task a worker holds, a final one, or one with a cancel to carry out). Returns how many."""
    result = await conn.execute(
        update(tasks)
        .where(
            tasks.c.id.in_(list(task_ids)),
            tasks.c.status.in_((Status.QUEUED.value, Status.RUNNING.value)),
            tasks.c.lease_owner.is_(None),
            tasks.c.cancel_requested == 0,
            tasks.c.run_at > soon,
        )
        .values(run_at=soon)
    )
    return result.rowcount
