"""Every query on the event log. An event's place in the log is `(tx_order, seq)`.

Readers of the whole log or of an account's part take only events below the watermark
(`dialect.event_watermark_sql`): an event above it may sit beside one that an older transaction
has not committed yet, which would otherwise be skipped. One task's events need no watermark:
its changes take its row lock in turn, so they are visible in the order they were made.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db import dialect
from mediagate.events.ids import Position

#: Columns of an event row: its routing and place, then the task object's columns in the order
#: of `tasks.repository.PUBLIC_COLUMNS` (the event's snapshot, the task's fixed fields).
_COLUMNS = (
    "e.account_id, e.sandbox, e.task_id, e.tx_order, e.seq, e.type, e.created_at, "
    "t.id, t.type, e.status, e.provider, t.model, e.progress, e.queue_position, e.eta_seconds, "
    "e.cost_micros, e.result, e.error_code, e.error_message, t.created_at, e.started_at, "
    "e.completed_at, t.metadata, t.sandbox, t.input"
)
_FROM = "FROM task_events e JOIN tasks t ON t.id = e.task_id"
_SELECT = f"SELECT {_COLUMNS} {_FROM}"
ACCOUNT, SANDBOX, TASK_ID, TX_ORDER, SEQ, TYPE, CREATED_AT = range(7)
TASK_COLUMNS = slice(7, None)

Row = Sequence[Any]


def position(row: Row) -> Position:
    return (row[TX_ORDER], row[SEQ])


def _types_clause(types: Sequence[str] | None, params: dict[str, Any]) -> str:
    if not types:
        return ""
    names = []
    for i, kind in enumerate(types):
        params[f"type{i}"] = kind
        names.append(f":type{i}")
    return f" AND e.type IN ({', '.join(names)})"


@lru_cache(maxsize=4)
def _watermark(backend: str) -> str:
    return dialect.event_watermark_sql(backend)


async def account_page(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool,
    *,
    after: Position,
    upto: Position | None = None,
    types: Sequence[str] | None = None,
    limit: int,
) -> list[Row]:
    """The account's events after `after` (and at most `upto`), in log order. Without `upto`
    only complete events (below the watermark) are read."""
    params: dict[str, Any] = {
        "account": account_id,
        "sandbox": int(sandbox),
        "t": after[0],
        "s": after[1],
        "limit": limit,
    }
    if upto is None:
        bound = f" AND e.tx_order < {_watermark(conn.dialect.name)}"
    else:
        bound = " AND (e.tx_order, e.seq) <= (:ut, :us)"
        params.update(ut=upto[0], us=upto[1])
    sql = (
        f"{_SELECT} WHERE e.account_id = :account AND e.sandbox = :sandbox "
        f"AND (e.tx_order, e.seq) > (:t, :s){bound}{_types_clause(types, params)} "
        "ORDER BY e.tx_order, e.seq LIMIT :limit"
    )
    return list((await conn.execute(text(sql), params)).all())


async def account_count(
    conn: AsyncConnection, account_id: str, sandbox: bool, types: Sequence[str] | None
) -> int:
    params: dict[str, Any] = {"account": account_id, "sandbox": int(sandbox)}
    sql = (
        "SELECT count(*) FROM task_events e WHERE e.account_id = :account "
        f"AND e.sandbox = :sandbox AND e.tx_order < {_watermark(conn.dialect.name)}"
        f"{_types_clause(types, params)}"
    )
    return int((await conn.execute(text(sql), params)).scalar() or 0)


async def task_events(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool | None,
    task_id: str,
    *,
    after: Position | None = None,
    upto: Position | None = None,
    latest: bool = False,
) -> list[Row]:
    """A task's events in order, after `after` and at most `upto`; with `latest`, only the
    last one. Another account's task (or the other mode's) has none."""
    params: dict[str, Any] = {"account": account_id, "task": task_id}
    where = "e.task_id = :task AND e.account_id = :account"
    if sandbox is not None:
        where += " AND e.sandbox = :sandbox"
        params["sandbox"] = int(sandbox)
    if after is not None:
        where += " AND (e.tx_order, e.seq) > (:t, :s)"
        params.update(t=after[0], s=after[1])
    if upto is not None:
        where += " AND (e.tx_order, e.seq) <= (:ut, :us)"
        params.update(ut=upto[0], us=upto[1])
    order = "e.tx_order DESC, e.seq DESC LIMIT 1" if latest else "e.tx_order, e.seq"
    return list(await conn.execute(text(f"{_SELECT} WHERE {where} ORDER BY {order}"), params))


async def by_seqs(conn: AsyncConnection, seqs: Sequence[int]) -> dict[int, Row]:
    """Events by their `seq` (webhook deliveries name their events so), in one query."""
    if not seqs:
        return {}
    params = {f"s{i}": seq for i, seq in enumerate(sorted(set(seqs)))}
    sql = f"{_SELECT} WHERE e.seq IN ({', '.join(':' + name for name in params)})"
    return {row[SEQ]: tuple(row) for row in await conn.execute(text(sql), params)}


async def log_after(conn: AsyncConnection, after: Position, limit: int) -> tuple[list[Row], bool]:
    """The whole log's complete events after `after`, in order; and whether a committed event
    after them is still held back by an older transaction (read again soon)."""
    watermark = _watermark(conn.dialect.name)
    sql = (
        f"SELECT e.tx_order < {watermark}, {_COLUMNS} {_FROM} "
        "WHERE (e.tx_order, e.seq) > (:t, :s) ORDER BY e.tx_order, e.seq LIMIT :limit"
    )
    rows = (await conn.execute(text(sql), {"t": after[0], "s": after[1], "limit": limit})).all()
    complete = []
    for row in rows:
        if not row[0]:
            return complete, True
        complete.append(tuple(row)[1:])  # plain tuples: buffered rows pin no result metadata
    return complete, False


async def head(conn: AsyncConnection) -> Position:
    """The place of the last complete event (`ids.START` when there is none)."""
    row = (
        await conn.execute(
            text(
                "SELECT tx_order, seq FROM task_events "
                f"WHERE tx_order < {_watermark(conn.dialect.name)} "
                "ORDER BY tx_order DESC, seq DESC LIMIT 1"
            )
        )
    ).first()
    return (row[0], row[1]) if row else (-1, -1)
