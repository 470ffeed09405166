"""The heartbeats table: upserts and the latest worker heartbeat."""

from __future__ import annotations

from sqlalchemy import text

from mediagate.db import Database

#: Rows older than this are deleted by the next heartbeat (workers that stopped long ago).
FORGET_US = 86_400 * 1_000_000

_UPSERT = text(
    "INSERT INTO heartbeats (name, at) VALUES (:name, :at) "
    "ON CONFLICT (name) DO UPDATE SET at = excluded.at"
)
_FORGET = text("DELETE FROM heartbeats WHERE at < :before")
_LATEST_WORKER = text("SELECT max(at) FROM heartbeats WHERE name LIKE 'worker:%'")


async def beat(db: Database, name: str, now: int, *, forget: bool = False) -> None:
    """Record `name` as alive at `now` (a committed write); with `forget`, also delete rows
    not renewed for a day."""
    async with db.write() as conn:
        await conn.execute(_UPSERT, {"name": name, "at": now})
        if forget:
            await conn.execute(_FORGET, {"before": now - FORGET_US})


async def latest_worker_beat(db: Database) -> int | None:
    """When any worker's claim loop last recorded a heartbeat (None: never)."""
    async with db.read() as conn:
        return (await conn.execute(_LATEST_WORKER)).scalar()
