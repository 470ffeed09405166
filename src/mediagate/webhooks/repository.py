"""Every query on webhook endpoints, the accounts' default secrets and deliveries.

Endpoint and log queries carry the caller's account and mode, so another account's endpoint
(or the other mode's) is simply not found. Deliveries are claimed, leased and fenced like task
steps (`engine.repository`), with one more rule: a lane (an endpoint, or an account's callback
URLs) has at most `lane_limit` deliveries in flight, so a slow receiver holds only its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db import Database, dialect
from mediagate.db.tables import (
    task_events,
    webhook_deliveries,
    webhook_endpoints,
    webhook_secrets,
)
from mediagate.engine import repository as engine_repository

Row = Sequence[Any]

# -- endpoints --------------------------------------------------------------------------------

#: Columns of an endpoint row, in the order `serialize.endpoint_object` reads them.
ENDPOINT_COLUMNS = (
    webhook_endpoints.c.id,
    webhook_endpoints.c.url,
    webhook_endpoints.c.events,
    webhook_endpoints.c.description,
    webhook_endpoints.c.disabled,
    webhook_endpoints.c.secret,
    webhook_endpoints.c.created_at,
)


def _endpoint_where(account_id: str, sandbox: bool, endpoint_id: str) -> tuple[Any, ...]:
    return (
        webhook_endpoints.c.id == endpoint_id,
        webhook_endpoints.c.account_id == account_id,
        webhook_endpoints.c.sandbox == int(sandbox),
    )


async def insert_endpoint(conn: AsyncConnection, values: Mapping[str, Any]) -> None:
    await conn.execute(insert(webhook_endpoints).values(**values))


async def count_endpoints(conn: AsyncConnection, account_id: str, sandbox: bool) -> int:
    return int(
        await conn.scalar(
            select(func.count()).where(
                webhook_endpoints.c.account_id == account_id,
                webhook_endpoints.c.sandbox == int(sandbox),
            )
        )
        or 0
    )


async def get_endpoint(
    conn: AsyncConnection, account_id: str, sandbox: bool, endpoint_id: str
) -> Row | None:
    query = select(*ENDPOINT_COLUMNS).where(*_endpoint_where(account_id, sandbox, endpoint_id))
    return (await conn.execute(query)).first()


async def list_endpoints(conn: AsyncConnection, account_id: str, sandbox: bool) -> list[Row]:
    """Newest first, ties broken by id."""
    query = (
        select(*ENDPOINT_COLUMNS)
        .where(
            webhook_endpoints.c.account_id == account_id,
            webhook_endpoints.c.sandbox == int(sandbox),
        )
        .order_by(webhook_endpoints.c.created_at.desc(), webhook_endpoints.c.id.desc())
    )
    return list((await conn.execute(query)).all())


async def update_endpoint(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool,
    endpoint_id: str,
    values: Mapping[str, Any],
) -> bool:
    result = await conn.execute(
        update(webhook_endpoints)
        .where(*_endpoint_where(account_id, sandbox, endpoint_id))
        .values(**values)
    )
    return result.rowcount == 1


async def delete_endpoint(
    conn: AsyncConnection, account_id: str, sandbox: bool, endpoint_id: str
) -> bool:
    """Its deliveries go with it (ON DELETE CASCADE); one in flight then cannot record its
    outcome (its fenced write finds no row)."""
    result = await conn.execute(
        delete(webhook_endpoints).where(*_endpoint_where(account_id, sandbox, endpoint_id))
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class Target:
    """What a delivery to an endpoint needs of it."""

    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: int | None
    disabled: bool
    failing_since: int | None


async def endpoint_targets(conn: AsyncConnection, endpoint_ids: Sequence[str]) -> dict[str, Target]:
    """The endpoints among `endpoint_ids` that exist, by id (one query for a whole claim)."""
    if not endpoint_ids:
        return {}
    c = webhook_endpoints.c
    rows = await conn.execute(
        select(
            c.id, c.url, c.secret, c.previous_secret, c.previous_secret_until, c.disabled,
            c.failing_since,
        ).where(c.id.in_(sorted(set(endpoint_ids))))
    )  # fmt: skip
    return {row[0]: Target(row[1], row[2], row[3], row[4], bool(row[5]), row[6]) for row in rows}


async def endpoint_target(conn: AsyncConnection, endpoint_id: str) -> Target | None:
    return (await endpoint_targets(conn, [endpoint_id])).get(endpoint_id)


async def mark_failing(conn: AsyncConnection, endpoint_id: str, now: int) -> None:
    """The first failure since the endpoint's last success starts its failing period."""
    await conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.failing_since.is_(None))
        .values(failing_since=now)
    )


async def clear_failing(conn: AsyncConnection, endpoint_id: str) -> None:
    await conn.execute(
        update(webhook_endpoints)
        .where(
            webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.failing_since.is_not(None)
        )
        .values(failing_since=None)
    )


async def disable_endpoint(conn: AsyncConnection, endpoint_id: str, reason: str, now: int) -> None:
    await conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(disabled=1, disabled_reason=reason, updated_at=now)
    )
    await stop_pending(conn, endpoint_id, now)


async def stop_pending(conn: AsyncConnection, endpoint_id: str, now: int) -> int:
    """End the waiting deliveries of a disabled endpoint as failed (one in flight ends when its
    attempt does: the next one finds the endpoint disabled)."""
    d = webhook_deliveries.c
    result = await conn.execute(
        update(webhook_deliveries)
        .where(
            d.endpoint_id == endpoint_id,
            d.run_at.is_not(None),
            (d.lease_expires_at.is_(None)) | (d.lease_expires_at <= now),
        )
        .values(
            status="failed",
            run_at=None,
            lease_owner=None,
            lease_expires_at=None,
            error="the endpoint is disabled",
            updated_at=now,
        )
    )
    return result.rowcount


# -- the accounts' default secrets --------------------------------------------------------------


async def default_secret(conn: AsyncConnection, account_id: str) -> str | None:
    return await conn.scalar(
        select(webhook_secrets.c.secret).where(webhook_secrets.c.account_id == account_id)
    )


async def insert_default_secret(
    conn: AsyncConnection, account_id: str, secret: str, now: int
) -> None:
    """Raises IntegrityError when the account has one already (a concurrent first use)."""
    await conn.execute(
        insert(webhook_secrets).values(account_id=account_id, secret=secret, created_at=now)
    )


# -- the delivery log ------------------------------------------------------------------------------

#: Columns of a delivery row, in the order `serialize.delivery_object` reads them.
DELIVERY_COLUMNS = (
    webhook_deliveries.c.seq,
    webhook_deliveries.c.event_id,
    webhook_deliveries.c.event_type,
    webhook_deliveries.c.status,
    webhook_deliveries.c.attempts,
    webhook_deliveries.c.response_status,
    webhook_deliveries.c.error,
    webhook_deliveries.c.duration_ms,
    webhook_deliveries.c.created_at,
    webhook_deliveries.c.run_at,
)


def _log_where(account_id: str, sandbox: bool, endpoint_id: str | None) -> tuple[Any, ...]:
    """A receiver's deliveries: an endpoint's, or (None) the account's callback URLs'."""
    d = webhook_deliveries.c
    receiver = d.endpoint_id.is_(None) if endpoint_id is None else d.endpoint_id == endpoint_id
    return (d.account_id == account_id, receiver, d.sandbox == int(sandbox))


async def delivery_page(
    conn: AsyncConnection,
    account_id: str,
    sandbox: bool,
    endpoint_id: str | None,
    *,
    before: int | None,
    limit: int,
) -> list[Row]:
    """Newest first (by seq), after the cursor's `before`."""
    where = list(_log_where(account_id, sandbox, endpoint_id))
    if before is not None:
        where.append(webhook_deliveries.c.seq < before)
    query = (
        select(*DELIVERY_COLUMNS)
        .where(*where)
        .order_by(webhook_deliveries.c.seq.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def delivery_count(
    conn: AsyncConnection, account_id: str, sandbox: bool, endpoint_id: str | None
) -> int:
    query = select(func.count()).where(*_log_where(account_id, sandbox, endpoint_id))
    return int(await conn.scalar(query) or 0)


async def delivery_to_repeat(
    conn: AsyncConnection, account_id: str, sandbox: bool, endpoint_id: str | None, seq: int
) -> Row | None:
    """What a redelivery copies: `(endpoint_id, callback_url, lane, event_seq, event_id,
    event_type, payload)` of one of the receiver's deliveries."""
    d = webhook_deliveries.c
    query = select(
        d.endpoint_id, d.callback_url, d.lane, d.event_seq, d.event_id, d.event_type, d.payload
    ).where(d.seq == seq, *_log_where(account_id, sandbox, endpoint_id))
    return (await conn.execute(query)).first()


async def insert_delivery(conn: AsyncConnection, values: Mapping[str, Any]) -> Row:
    """A new pending delivery, due at once; returns its log row."""
    seq = (await conn.execute(insert(webhook_deliveries).values(**values))).inserted_primary_key[0]
    await dialect.notify_deliveries(conn)
    row = (
        await conn.execute(select(*DELIVERY_COLUMNS).where(webhook_deliveries.c.seq == seq))
    ).first()
    assert row is not None
    return row


# -- the sender ------------------------------------------------------------------------------------

_CLAIMED = (
    "seq, account_id, sandbox, endpoint_id, callback_url, lane, event_seq, event_id, "
    "event_type, payload, attempts, lease_owner"
)


@dataclass(frozen=True)
class ClaimedDelivery:
    seq: int
    account_id: str
    sandbox: int
    endpoint_id: str | None
    callback_url: str | None
    lane: str
    event_seq: int | None
    event_id: str
    event_type: str
    payload: str | None
    attempts: int  # this attempt included
    lease: str  # the token fencing every write of this claim


# Lanes' deliveries in flight (a live lease), from the small `ix_webhook_deliveries_leased`.
_BUSY = (
    "SELECT lane, count(*) AS n FROM webhook_deliveries "
    "WHERE run_at IS NOT NULL AND lease_expires_at > ? GROUP BY lane"
)
_DUE = (
    "SELECT seq, lane, run_at FROM webhook_deliveries WHERE run_at IS NOT NULL AND run_at <= ? "
    "AND (lease_expires_at IS NULL OR lease_expires_at <= ?) "
    "AND lane NOT IN (SELECT lane FROM busy WHERE n >= ?)"
)
#: Is anything claimable now? A read (it commits nothing, so it wakes nothing).
CLAIMABLE_SQL = f"WITH busy AS ({_BUSY}) {_DUE} LIMIT 1"


@lru_cache(maxsize=2)
def _claim_sql(postgres: bool) -> str:
    """One statement: among the earliest due, unleased deliveries of lanes below their limit,
    lease each lane's first ones up to its room, the earliest first."""
    due = dialect.lock_skipped(f"{_DUE} ORDER BY run_at LIMIT ?", postgres)
    return (
        f"WITH busy AS ({_BUSY}), due AS ({due}), ranked AS ("
        "SELECT due.seq, due.run_at, coalesce(busy.n, 0) + row_number() OVER "
        "(PARTITION BY due.lane ORDER BY due.run_at, due.seq) AS place "
        "FROM due LEFT JOIN busy ON busy.lane = due.lane) "
        "UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ?, "
        "attempts = attempts + 1 WHERE seq IN "
        "(SELECT seq FROM ranked WHERE place <= ? ORDER BY run_at, seq LIMIT ?) "
        f"RETURNING {_CLAIMED}"
    )


async def newest(db: Database) -> int | None:
    """The sequence number of the newest delivery (a primary-key lookup on the fast path)."""
    row = await db.fast.fetchrow("SELECT max(seq) FROM webhook_deliveries", ())
    return row[0] if row else None


async def claimable(db: Database, now: int, lane_limit: int) -> bool:
    return await db.fast.fetchrow(CLAIMABLE_SQL, (now, now, now, lane_limit)) is not None


async def claim(
    db: Database, *, token: str, now: int, lease_us: int, limit: int, lane_limit: int
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries (counting the attempt), no lane past `lane_limit` in
    flight. Claims of several processes at the same instant may each fill a lane's room
    (PostgreSQL; SQLite claims one at a time), so a lane can briefly exceed it."""
    if limit <= 0:
        return []
    window = min(4 * limit, 256)
    params = (now, now, now, lane_limit, window, token, now + lease_us, lane_limit, limit)
    rows = await db.fast.write_returning(_claim_sql(db.backend == "postgresql"), params)
    return [ClaimedDelivery(*row[:-1], lease=row[-1]) for row in rows]


async def record(db: Database, delivery: ClaimedDelivery, values: Mapping[str, Any]) -> bool:
    """Write an attempt's outcome if this claim still holds the delivery's lease."""
    key = ("seq", delivery.seq)
    return await engine_repository.fenced_write(db, webhook_deliveries, key, delivery.lease, values)


async def next_due(conn: AsyncConnection, now: int) -> int | None:
    """When a delivery may next become claimable: the next retry, or the end of a lease in
    flight (a dead worker's delivery is due again then)."""
    d = webhook_deliveries.c
    retry = await conn.scalar(
        select(func.min(d.run_at)).where(d.run_at.is_not(None), d.run_at > now)
    )
    lease = await conn.scalar(
        select(func.min(d.lease_expires_at)).where(d.run_at.is_not(None), d.lease_expires_at > now)
    )
    found = [t for t in (retry, lease) if t is not None]
    return min(found) if found else None


async def task_deliveries(
    conn: AsyncConnection, account_id: str, task_id: str, limit: int
) -> list[Row]:
    """The deliveries of one task's events, newest first: `DELIVERY_COLUMNS`, then the
    endpoint id (None for the task's callback URL)."""
    query = (
        select(*DELIVERY_COLUMNS, webhook_deliveries.c.endpoint_id)
        .join(task_events, task_events.c.seq == webhook_deliveries.c.event_seq)
        .where(task_events.c.task_id == task_id, webhook_deliveries.c.account_id == account_id)
        .order_by(webhook_deliveries.c.seq.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).all())
