"""Dashboard sessions: an API key, given once on the sign-in page, becomes a server-side
session. The browser holds only a random id (an HttpOnly, SameSite cookie); the database holds
its hash, the key's id and the session's CSRF token. Every request reads the key again, so a
revoked key ends its sessions at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from mediagate.accounts import service as accounts
from mediagate.accounts.repository import Principal, principal_by_key_id
from mediagate.core.clock import now_us
from mediagate.dashboard import repository
from mediagate.db import Database

#: How long a sign-in lasts.
SESSION_SECONDS = 12 * 3600
COOKIE = "mediagate_session"


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf_token: str
    id_hash: str


@dataclass(frozen=True)
class Opened:
    cookie_value: str
    session: Session


def _hash(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


async def open_session(db: Database, secret: str) -> Opened | None:
    """A new session for the key `secret`; None when the key is unknown or revoked."""
    principal = await accounts.authenticate(db, secret)
    if principal is None:
        return None
    cookie_value = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    now = now_us()
    async with db.write() as conn:
        await repository.delete_expired(conn, now)
        await repository.insert_session(
            conn,
            id_hash=_hash(cookie_value),
            key_id=principal.key_id,
            csrf_token=csrf_token,
            now=now,
            expires_at=now + SESSION_SECONDS * 1_000_000,
        )
    return Opened(cookie_value, Session(principal, csrf_token, _hash(cookie_value)))


async def find(db: Database, cookie_value: str | None) -> Session | None:
    """The live session of a cookie: unexpired, and its key not revoked."""
    if not cookie_value or len(cookie_value) > 100:
        return None
    id_hash = _hash(cookie_value)
    async with db.read() as conn:
        found = await repository.live_session(conn, id_hash, now_us())
        if found is None:
            return None
        key_id, csrf_token = found
        principal = await principal_by_key_id(conn, key_id)
    if principal is None:
        return None
    return Session(principal, csrf_token, id_hash)


async def close(db: Database, session: Session) -> None:
    async with db.write() as conn:
        await repository.delete_session(conn, session.id_hash)
