"""Event operations behind the HTTP API: an account's events as pages, a task's timeline, and
the live streams of a task and of an account (backlog from the log, then the hub)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from mediagate.accounts.repository import Principal
from mediagate.core.errors import InvalidParameter, TaskNotFound
from mediagate.core.ids import plausible_id
from mediagate.db import Database
from mediagate.events import ids, repository
from mediagate.events.hub import EventHub
from mediagate.events.ids import Position
from mediagate.events.repository import Row, position
from mediagate.events.serialize import event_object
from mediagate.tasks.serialize import Linker
from mediagate.tasks.statuses import FINAL

TYPES: tuple[str, ...] = (
    "task.created",
    "task.queued",
    "task.running",
    "task.progress",
    "task.succeeded",
    "task.failed",
    "task.cancelled",
    "task.expired",
)
_FINAL_TYPES = frozenset(f"task.{status}" for status in FINAL)
BACKLOG_PAGE = 500


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None
    has_more: bool
    total: int


def parse_types(raw: str | None, param: str = "types") -> tuple[str, ...] | None:
    """`task.succeeded,task.failed` -> those types; None for all. 400 for an unknown one."""
    if raw is None or not raw.strip():
        return None
    chosen = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [t for t in chosen if t not in TYPES]
    if unknown:
        raise InvalidParameter(
            param, f"unknown event type {unknown[0][:60]!r}; types are {', '.join(TYPES)}"
        )
    return chosen


def is_final(row: Row) -> bool:
    return row[repository.TYPE] in _FINAL_TYPES


async def list_page(
    db: Database,
    principal: Principal,
    *,
    after_text: str | None,
    limit: int,
    types: Sequence[str] | None,
    links: Linker | None,
) -> Page:
    after = ids.decode(after_text, "after") if after_text else ids.START
    async with db.read() as conn:
        rows = await repository.account_page(
            conn, principal.account_id, principal.sandbox, after=after, types=types,
            limit=limit + 1,
        )  # fmt: skip
        total = await repository.account_count(conn, principal.account_id, principal.sandbox, types)
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = ids.encode(position(rows[-1])) if rows else after_text
    return Page([event_object(r, links) for r in rows], cursor, has_more, total)


async def _task_rows(db: Database, principal: Principal, task_id: str, **kwargs: Any) -> list[Row]:
    async with db.read() as conn:
        return await repository.task_events(
            conn, principal.account_id, principal.sandbox, task_id, **kwargs
        )


async def timeline(
    db: Database, principal: Principal, task_id: str, links: Linker | None
) -> list[dict[str, Any]]:
    """A task's events, oldest first; 404 for a task the caller cannot see."""
    rows = await _task_rows(db, principal, task_id) if plausible_id(task_id) else []
    if not rows:
        raise TaskNotFound()
    return [event_object(r, links) for r in rows]


async def latest(db: Database, principal: Principal, task_id: str) -> Row:
    """The task's latest event (its current state); 404 for a task the caller cannot see."""
    rows = await _task_rows(db, principal, task_id, latest=True) if plausible_id(task_id) else []
    if not rows:
        raise TaskNotFound()
    return tuple(rows[0])


async def follow_task(
    db: Database,
    hub: EventHub,
    principal: Principal,
    task_id: str,
    current: Row,
    after: Position | None,
    heartbeat_s: float,
) -> AsyncIterator[Row | None]:
    """The task's events: `current` (its latest event, from `latest`) unless resuming after
    `after`, then every later one, ending after the final one. None: nothing for `heartbeat_s`."""
    sub = await hub.subscribe(principal.account_id, principal.sandbox, task_id)
    try:
        if after is None:
            yield current
            last = position(current)
        else:
            last = after
        if is_final(current) and position(current) <= last:
            return
        del current  # a stream may stay open for hours: keep no more than its position
        while True:
            backlog = (
                await _task_rows(db, principal, task_id, after=last, upto=sub.since)
                if last < sub.since
                else []  # nothing can lie between: no query (a stream opens cheaply)
            )
            for row in backlog:
                yield row
                last = position(row)
                if is_final(row):
                    return
            while not sub.overflowed and not sub.closed:
                rows = await sub.next_rows(heartbeat_s)
                if not rows and not sub.overflowed and not sub.closed:
                    yield None
                for row in rows:
                    if position(row) > last:
                        yield row
                        last = position(row)
                        if is_final(row):
                            return
            if sub.closed:
                return
            sub.restart()
    finally:
        sub.close()


async def follow_account(
    db: Database,
    hub: EventHub,
    principal: Principal,
    after: Position | None,
    types: Sequence[str] | None,
    heartbeat_s: float,
) -> AsyncIterator[Row | None]:
    """The account's events (in the key's mode) after `after`, or from now on; never ends.
    None: nothing for `heartbeat_s`."""
    sub = await hub.subscribe(principal.account_id, principal.sandbox)
    wanted = frozenset(types) if types else None
    try:
        last = sub.since if after is None else after
        while True:
            while last < sub.since:  # the backlog, up to where the hub took over
                async with db.read() as conn:
                    rows = await repository.account_page(
                        conn, principal.account_id, principal.sandbox, after=last,
                        upto=sub.since, types=types, limit=BACKLOG_PAGE,
                    )  # fmt: skip
                for row in rows:
                    yield row
                    last = position(row)
                if len(rows) < BACKLOG_PAGE:
                    break
            last = max(last, sub.since)
            while not sub.overflowed and not sub.closed:
                rows = await sub.next_rows(heartbeat_s)
                if not rows and not sub.overflowed and not sub.closed:
                    yield None
                for row in rows:
                    if position(row) > last and (wanted is None or row[repository.TYPE] in wanted):
                        yield row
                        last = position(row)
            if sub.closed:
                return
            sub.restart()
    finally:
        sub.close()
