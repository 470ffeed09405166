"""Every query the engine runs. Worker writes are fenced by the lease token of their claim."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db import Database, dialect
from mediagate.db.tables import tasks
from mediagate.tasks.statuses import ACTIVE

_CLAIMED = (
    tasks.c.id,
    tasks.c.account_id,
    tasks.c.sandbox,
    tasks.c.type,
    tasks.c.model,
    tasks.c.provider,
    tasks.c.status,
    tasks.c.input,
    tasks.c.progress,
    tasks.c.provider_job_id,
    tasks.c.submit_started_at,
    tasks.c.client_ref,
    tasks.c.cancel_requested,
    tasks.c.deadline_at,
    tasks.c.attempts,
    tasks.c.created_at,
    tasks.c.started_at,
    tasks.c.max_cost_micros,
    tasks.c.lease_owner,
)


@dataclass(frozen=True)
class ClaimedTask:
    id: str
    account_id: str
    sandbox: int
    type: str
    model: str
    provider: str
    status: str
    input: str
    progress: int
    provider_job_id: str | None
    submit_started_at: int | None
    client_ref: str | None
    cancel_requested: int
    deadline_at: int | None
    attempts: int
    created_at: int
    started_at: int | None
    max_cost_micros: int | None
    lease: str  # the token fencing every write of this claim


async def claim(
    db: Database,
    *,
    token_prefix: str,
    now: int,
    lease_us: int,
    limit: int,
    rooms: Mapping[str, int],
) -> list[ClaimedTask]:
    """Lease up to `limit` due tasks in one statement, the earliest first, and at most
    `rooms[p]` of provider `p`'s. A task is due when its `run_at` has come and no live lease
    covers it, so tasks of a dead worker come back by themselves once their lease runs out."""
    rooms = {name: room for name, room in rooms.items() if room > 0}
    if limit <= 0 or not rooms:
        return []
    sql = _claim_sql(len(rooms), db.backend == "postgresql")
    params: list[Any] = [lease_token(token_prefix, now), now + lease_us]
    for name, room in rooms.items():
        params += [name, now, now, min(room, limit)]
    params.append(limit)
    rows = await db.fast.write_returning(sql, params)
    return [ClaimedTask(*row[:-1], lease=row[-1]) for row in rows]


def lease_token(token_prefix: str, now: int) -> str:
    """Each claim gets its own token `<worker>:<now>`, so a worker that claims the same job
    again after losing its lease cannot be confused with its earlier self."""
    return f"{token_prefix}:{now}"


_ACTIVE_SQL = ", ".join(f"'{status}'" for status in ACTIVE)


@lru_cache(maxsize=32)
def _claim_sql(provider_count: int, postgres: bool) -> str:
    """One statement: lease the earliest due, unleased tasks, each provider's share taken
    from its own part of the due index (`ix_tasks_due_by_provider`)."""
    share = dialect.lock_skipped(
        "SELECT id, run_at FROM tasks WHERE provider = ? AND run_at <= ? "
        "AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY run_at LIMIT ?",
        postgres,
    )
    shares = " UNION ALL ".join(
        f"SELECT id, run_at FROM ({share}) AS p{i}" for i in range(provider_count)
    )
    sql = (
        "UPDATE tasks SET lease_owner = ?, lease_expires_at = ? "
        f"WHERE id IN (SELECT id FROM ({shares}) AS due ORDER BY run_at LIMIT ?) "
        f"RETURNING {', '.join(c.name for c in _CLAIMED)}"
    )
    return sql


@lru_cache(maxsize=256)
def _fenced_sql(
    table: Table, key: str, columns: tuple[str, ...], condition: str
) -> tuple[str, tuple[str, ...]]:
    """The fenced UPDATE of one leased row of `table` for these columns (`?` placeholders) and
    its parameters' types, built once per column set: the hot path skips statement
    construction."""
    for column in columns:
        if column not in table.c:
            raise ValueError(f"{table.name} has no column {column!r}")
    sql = (
        f"UPDATE {table.name} SET " + ", ".join(f"{c} = ?" for c in columns)
        + f" WHERE {key} = ? AND lease_owner = ?{condition}"
    )  # fmt: skip
    return sql, dialect.cast_types(table, (*columns, key, "lease_owner"))


async def fenced_write(
    db: Database,
    table: Table,
    key: tuple[str, Hashable],
    lease: str,
    values: Mapping[str, Any],
    condition: str = "",
) -> bool:
    """Write `values` to the row `key` (column, value) of `table` if the claim `lease` still
    holds it (and `condition`, SQL starting with " AND ", holds). On the raw-driver fast path:
    jobs end at hundreds a second, and concurrent jobs' writes go to the database together."""
    columns = tuple(values)
    sql, types = _fenced_sql(table, key[0], columns, condition)
    params = (*(_plain(values[c]) for c in columns), key[1], lease)
    return await db.fast.update(sql, params, types=types, key=key[1]) == 1


_ONLY_ACTIVE = f" AND status IN ({_ACTIVE_SQL})"


async def _fenced_update(
    db: Database, task: ClaimedTask, values: dict[str, Any], only_active: bool
) -> bool:
    condition = _ONLY_ACTIVE if only_active else ""
    return await fenced_write(db, tasks, ("id", task.id), task.lease, values, condition)


def _plain(value: Any) -> Any:
    """Enum members (statuses) as their text, for the driver."""
    return value.value if isinstance(value, enum.Enum) else value


async def update_active(db: Database, task: ClaimedTask, values: dict[str, Any]) -> bool:
    """Write `values` if this claim still holds the lease and the task is not final (a
    client's cancel wins over any result). False: drop whatever the step produced."""
    return await _fenced_update(db, task, values, only_active=True)


async def update_leased(db: Database, task: ClaimedTask, values: dict[str, Any]) -> bool:
    """Write `values` if this claim still holds the lease, whatever the status (recording a
    provider job id even after a cancel, so the job can be cancelled at the provider)."""
    return await _fenced_update(db, task, values, only_active=False)


async def extend_lease(db: Database, task: ClaimedTask, until: int) -> bool:
    return await update_leased(db, task, {"lease_expires_at": until})


async def next_due(conn: AsyncConnection, providers: Sequence[str]) -> int | None:
    """When the next task falls due: its `run_at`, or its lease's end if it is leased."""
    due_at = case(
        (tasks.c.lease_expires_at > tasks.c.run_at, tasks.c.lease_expires_at),
        else_=tasks.c.run_at,
    )
    return await conn.scalar(
        select(func.min(due_at)).where(
            tasks.c.run_at.is_not(None), tasks.c.provider.in_(list(providers))
        )
    )
