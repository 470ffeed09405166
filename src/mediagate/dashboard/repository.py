"""Every query on dashboard sessions."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db.tables import dashboard_sessions as sessions


async def insert_session(
    conn: AsyncConnection, *, id_hash: str, key_id: str, csrf_token: str, now: int, expires_at: int
) -> None:
    await conn.execute(
        insert(sessions).values(
            id_hash=id_hash,
            key_id=key_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def live_session(conn: AsyncConnection, id_hash: str, now: int) -> tuple[str, str] | None:
    """(key id, CSRF token) of an unexpired session."""
    row = (
        await conn.execute(
            select(sessions.c.key_id, sessions.c.csrf_token).where(
                sessions.c.id_hash == id_hash, sessions.c.expires_at > now
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


async def delete_expired(conn: AsyncConnection, now: int) -> int:
    result = await conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
    return result.rowcount
