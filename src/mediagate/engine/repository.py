"""Every query the engine runs. Worker writes are fenced by the lease token of their claim, and
never move a task's status or progress backwards."""

from __future__ import annotations

import enum
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db import Database, dialect
from mediagate.db.tables import IN_FLIGHT_SQL, STARTED_SQL, tasks
from mediagate.tasks.statuses import ACTIVE, ALL, RANK

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


STRIDE = 1_000_000  # one turn of an account of share 1, in `claim_turns.pass` units
#: How many fresh tasks of one account a claim looks at, at most (its share of a provider's
#: room is never larger).
_CANDIDATES = 64


async def claim(
    db: Database,
    *,
    token_prefix: str,
    now: int,
    lease_us: int,
    limit: int,
    rooms: Mapping[str, int],
    default_concurrency: int = 0,
) -> list[ClaimedTask]:
    """Lease up to `limit` due tasks in one transaction, at most `rooms[p]` of provider `p`'s.

    A task is due when its `run_at` has come and no live lease covers it, so tasks of a dead
    worker come back by themselves once their lease runs out. Started tasks (`STARTED_SQL`:
    polls, cancels, retries) go by due time. Fresh pending tasks go by turns between the
    accounts waiting at the provider (weighted by their share), never past an account's
    concurrency limit (its `max_concurrency`, else `default_concurrency`; 0: none); each turn
    keeps the place in due time that the oldest fresh task would have had, so submits and polls
    share a provider's room as they would by due time alone.
    """
    rooms = {name: min(room, limit) for name, room in sorted(rooms.items()) if room > 0}
    if limit <= 0 or not rooms:
        return []
    postgres = db.backend == "postgresql"
    token = lease_token(token_prefix, now)
    values: dict[str, Any] = {
        "now": now, "cap": default_concurrency, "most": min(limit, _CANDIDATES),
        "token": token, "until": now + lease_us, "limit": limit,
    }  # fmt: skip
    for i, (name, room) in enumerate(rooms.items()):
        values[f"p{i}"], values[f"r{i}"] = name, room
    sql, names = _claim_sql(len(rooms), postgres)

    def script() -> dialect.Script[list[Sequence[Any]]]:
        if postgres:  # claims of a provider take turns: the limits hold across processes
            yield dialect.claim_locks(list(rooms))
        rows = yield sql, [values[n] for n in names]
        served = _turns_taken(rows)
        if served:
            yield _turns_sql(len(served)), [v for key in served for v in (*key, served[key])]
        return rows

    rows = await db.fast.transaction(script())
    return [ClaimedTask(*row[:-1], lease=row[-1]) for row in rows]


def lease_token(token_prefix: str, now: int) -> str:
    """Each claim gets its own token `<worker>:<now>`, so a worker that claims the same job
    again after losing its lease cannot be confused with its earlier self."""
    return f"{token_prefix}:{now}"


_ACTIVE_SQL = ", ".join(f"'{status}'" for status in ACTIVE)
_NAMED = re.compile(r":([a-z]\w*)")
_STATUS = _CLAIMED.index(tasks.c.status)
_SUBMIT_STARTED = _CLAIMED.index(tasks.c.submit_started_at)
_PROVIDER, _ACCOUNT = _CLAIMED.index(tasks.c.provider), _CLAIMED.index(tasks.c.account_id)


def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` placeholders as `?`, and the names in their order."""
    return _NAMED.sub("?", sql), tuple(_NAMED.findall(sql))


def _turns_taken(rows: Sequence[Sequence[Any]]) -> dict[tuple[str, str], int]:
    """Fresh tasks claimed, per (provider, account): the turns they took."""
    served: dict[tuple[str, str], int] = {}
    for row in rows:
        if row[_STATUS] == "pending" and row[_SUBMIT_STARTED] is None:
            key = (row[_PROVIDER], row[_ACCOUNT])
            served[key] = served.get(key, 0) + 1
    return served


def _rooms_sql(count: int) -> str:
    rows = ", ".join(f"(CAST(:p{i} AS VARCHAR), CAST(:r{i} AS BIGINT))" for i in range(count))
    return f"rooms(provider, room) AS (VALUES {rows})"


#: The accounts with pending tasks at each provider: a skip scan of
#: `ix_tasks_pending_by_account`, one index descent per account (never a walk of their tasks).
_WAITING = (
    "waiting(provider, account_id) AS ("
    "SELECT provider, (SELECT min(t.account_id) FROM tasks t WHERE t.provider = rooms.provider "
    "AND t.status = 'pending') FROM rooms "
    "UNION ALL SELECT w.provider, (SELECT min(t.account_id) FROM tasks t "
    "WHERE t.provider = w.provider AND t.status = 'pending' AND t.account_id > w.account_id) "
    "FROM waiting w WHERE w.account_id IS NOT NULL)"
)
_CAP = "COALESCE(a.max_concurrency, :cap)"


def _turn_start(rows: str) -> tuple[str, str]:
    """(where the next turn of the account of `rows` starts: its `pass`, or the provider's clock
    if it has fallen behind it; the joins that read both)."""
    start = (
        "CASE WHEN COALESCE(mine.pass, 0) > COALESCE(clock.pass, 0) THEN mine.pass "
        "ELSE COALESCE(clock.pass, 0) END"
    )
    joins = (
        f"LEFT JOIN claim_turns mine ON mine.provider = {rows}.provider "
        f"AND mine.account_id = {rows}.account_id "
        f"LEFT JOIN claim_turns clock ON clock.provider = {rows}.provider "
        "AND clock.account_id = ''"
    )
    return start, joins


_START, _START_JOINS = _turn_start("w")
#: Each waiting account: how many fresh tasks it may start now (`take`: the provider's room, or
#: what its limit leaves; its tasks in flight counted on `ix_tasks_in_flight`), the length of
#: its turns (`stride`) and where its next turn starts (an account back from idle starts at the
#: provider's clock: it banks no turns while away).
_TURNS = (
    "turns(provider, room, account_id, take, stride, start) AS MATERIALIZED ("
    "SELECT w.provider, r.room, w.account_id, "
    f"CASE WHEN {_CAP} <= 0 THEN r.room ELSE {_CAP} - (SELECT count(*) FROM tasks "
    f"WHERE provider = w.provider AND account_id = w.account_id AND ({IN_FLIGHT_SQL})) END, "
    f"{STRIDE} / a.share, {_START} "
    "FROM waiting w JOIN rooms r ON r.provider = w.provider JOIN accounts a ON a.id = w.account_id "
    f"{_START_JOINS} WHERE w.account_id IS NOT NULL)"
)
_FRESH_DUE = (
    "status = 'pending' AND run_at <= :now AND submit_started_at IS NULL AND lease_owner IS NULL"
)
_STARTED_DUE = (
    f"{STARTED_SQL} AND run_at <= :now AND (lease_expires_at IS NULL OR lease_expires_at <= :now)"
)


def _first_due(source: str, match: str, where: str, limit: str, postgres: bool) -> str:
    """`source` rows joined to the earliest tasks of each (`match`: the columns that pick a
    row's tasks) that satisfy `where`, `limit` of them per row at most (SQLite, which cannot
    take a LIMIT from the row: `:most`, trimmed later): one short index walk per row."""
    if postgres:
        walk = dialect.lock_skipped(
            f"SELECT id, run_at FROM tasks WHERE {match} AND {where} ORDER BY run_at LIMIT {limit}",
            postgres,
        )
        return f"{source} CROSS JOIN LATERAL ({walk}) AS c"
    walk = f"SELECT id FROM tasks WHERE {match} AND {where} ORDER BY run_at LIMIT :most"
    return f"{source} JOIN tasks c ON c.id IN ({walk})"


@lru_cache(maxsize=32)
def _claim_sql(provider_count: int, postgres: bool) -> tuple[str, tuple[str, ...]]:
    """The claim: `turns` of the waiting accounts, their first fresh due tasks ranked by turn
    (`start + (k - 1) * stride` for an account's k-th: weighted round robin), each turn given
    the due time of the provider's next oldest fresh task; the started tasks' due steps; per
    provider the earliest `room` of both, then the earliest `limit` overall, leased."""
    take = "CASE WHEN u.take <= 0 THEN 0 WHEN u.take < u.room THEN u.take ELSE u.room END"
    fresh = _first_due(
        "turns u", "provider = u.provider AND account_id = u.account_id", _FRESH_DUE, take,
        postgres,
    )  # fmt: skip
    started = _first_due("rooms r", "provider = r.provider", _STARTED_DUE, "r.room", postgres)
    sql = (
        f"WITH RECURSIVE {_rooms_sql(provider_count)}, {_WAITING}, {_TURNS}, "
        "candidates AS (SELECT u.provider, u.room, u.take, c.id, c.run_at, "
        "u.start + (row_number() OVER (PARTITION BY u.provider, u.account_id "
        "ORDER BY c.run_at, c.id) - 1) * u.stride AS tag, "
        "row_number() OVER (PARTITION BY u.provider, u.account_id ORDER BY c.run_at, c.id) AS k "
        f"FROM {fresh} WHERE u.take > 0), "
        "fresh AS (SELECT provider, room, id, run_at, "
        "row_number() OVER (PARTITION BY provider ORDER BY tag, run_at, id) AS turn, "
        "row_number() OVER (PARTITION BY provider ORDER BY run_at, id) AS fifo "
        "FROM candidates WHERE k <= take AND k <= room), "
        "due AS (SELECT s.provider, s.room, s.id, f.run_at AS at FROM fresh s "
        "JOIN fresh f ON f.provider = s.provider AND f.fifo = s.turn WHERE s.turn <= s.room "
        f"UNION ALL SELECT r.provider, r.room, c.id, c.run_at FROM {started}), "
        "ranked AS (SELECT id, at, room, "
        "row_number() OVER (PARTITION BY provider ORDER BY at, id) AS n FROM due) "
        "UPDATE tasks SET lease_owner = :token, lease_expires_at = :until "
        "WHERE id IN (SELECT id FROM ranked WHERE n <= room ORDER BY at, id LIMIT :limit) "
        f"RETURNING {', '.join(c.name for c in _CLAIMED)}"
    )
    return _positional(sql)


@lru_cache(maxsize=64)
def _turns_sql(count: int) -> str:
    """Move on the turns of the accounts served: each `pass` by the turns it took, and the
    provider's clock to the last turn given (under the claim's lock: nothing moved them since
    the claim read them)."""
    served = ", ".join(
        f"(CAST(:p{i} AS VARCHAR), CAST(:a{i} AS VARCHAR), CAST(:n{i} AS BIGINT))"
        for i in range(count)
    )
    start, joins = _turn_start("s")
    sql = (
        f"WITH served(provider, account_id, n) AS (VALUES {served}), "
        f"moved AS (SELECT s.provider, s.account_id, s.n, {STRIDE} / a.share AS stride, "
        f"{start} AS start FROM served s JOIN accounts a ON a.id = s.account_id {joins}) "
        "INSERT INTO claim_turns (provider, account_id, pass) "
        "SELECT provider, account_id, pass FROM ("
        "SELECT provider, account_id, start + n * stride AS pass FROM moved UNION ALL "
        "SELECT provider, '', max(start + (n - 1) * stride) FROM moved GROUP BY provider"
        ") AS next WHERE true "
        "ON CONFLICT (provider, account_id) DO UPDATE SET pass = excluded.pass"
    )
    return _positional(sql)[0]  # (provider, account, n) per account served, in order


def _forward_status_sql() -> str:
    """The new status (the placeholder), or the task's own where the new one would move it
    backwards: `CASE ? WHEN 'pending' THEN CASE WHEN status IN ('queued', ...) THEN status
    ELSE 'pending' END ... END` (the placeholder once, so batched writes keep one per column)."""
    cases = []
    for new in ALL:
        later = ", ".join(f"'{s}'" for s in ALL if RANK[s] > RANK[new])
        if later:
            cases.append(
                f"WHEN '{new}' THEN CASE WHEN status IN ({later}) THEN status ELSE '{new}' END"
            )
        else:  # a final status: nothing comes after it
            cases.append(f"WHEN '{new}' THEN '{new}'")
    return f"CASE ? {' '.join(cases)} END"


_FORWARD_STATUS = _forward_status_sql()


def _setter(table: Table, column: str, postgres: bool) -> str:
    """What a fenced write sets `column` to: its placeholder, except that a task's status and
    progress never move backwards (the contract), whatever a step asks for."""
    if table is tasks and column == "status":
        return _FORWARD_STATUS
    if table is tasks and column == "progress":
        return dialect.greatest("progress", "?", postgres)
    return "?"


@lru_cache(maxsize=256)
def _fenced_sql(
    table: Table, key: str, columns: tuple[str, ...], condition: str, postgres: bool
) -> tuple[str, tuple[str, ...]]:
    """The fenced UPDATE of one leased row of `table` for these columns (`?` placeholders) and
    its parameters' types, built once per column set: the hot path skips statement
    construction."""
    for column in columns:
        if column not in table.c:
            raise ValueError(f"{table.name} has no column {column!r}")
    sql = (
        f"UPDATE {table.name} SET "
        + ", ".join(f"{c} = {_setter(table, c, postgres)}" for c in columns)
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
    holds it (and `condition`, SQL starting with " AND ", holds); a task's status and progress
    only move forward (`_setter`). On the raw-driver fast path:
    jobs end at hundreds a second, and concurrent jobs' writes go to the database together."""
    columns = tuple(values)
    sql, types = _fenced_sql(table, key[0], columns, condition, db.backend == "postgresql")
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


async def next_due(
    conn: AsyncConnection, providers: Sequence[str], default_concurrency: int = 0
) -> int | None:
    """When the next task of `providers` a claim could take falls due: a started task's
    `run_at` (or its lease's end, if leased), or the oldest fresh task of an account below its
    limit (an account at its limit waits for one of its tasks to finish, which wakes the
    worker that ran it)."""
    if not providers:
        return None
    values: dict[str, Any] = {"cap": default_concurrency}
    for i, name in enumerate(providers):
        values[f"p{i}"], values[f"r{i}"] = name, 1
    return await conn.scalar(text(_next_due_sql(len(providers))), values)


@lru_cache(maxsize=32)
def _next_due_sql(provider_count: int) -> str:
    return (
        f"WITH RECURSIVE {_rooms_sql(provider_count)}, {_WAITING}, {_TURNS} "
        "SELECT min(at) FROM ("
        "SELECT min(CASE WHEN lease_expires_at > run_at THEN lease_expires_at ELSE run_at END) "
        f"AS at FROM tasks WHERE provider IN (SELECT provider FROM rooms) AND {STARTED_SQL} "
        "UNION ALL SELECT (SELECT min(run_at) FROM tasks WHERE provider = u.provider "
        "AND account_id = u.account_id AND status = 'pending' AND submit_started_at IS NULL "
        "AND lease_owner IS NULL) FROM turns u WHERE u.take > 0) AS next"
    )
