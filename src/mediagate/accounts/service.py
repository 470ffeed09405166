"""Account and key operations used by the CLI and the API's authentication."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.accounts import keys, repository
from mediagate.accounts.repository import KeyRow, Principal
from mediagate.billing import key_limits
from mediagate.billing.holds import month_start
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database


class KeyOperationError(Exception):
    """A key operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class CreatedKey:
    secret: str
    key_id: str
    account_id: str
    account_name: str
    prefix: str
    mode: str


async def create_key(
    db: Database,
    *,
    account: str,
    name: str = "",
    test: bool = False,
    spend_limit: int | None = None,
) -> CreatedKey:
    """`spend_limit`: the key's monthly spend limit (micros), if any."""
    account = account.strip()
    if not account or len(account) > 200:
        raise KeyOperationError("the account name must be 1 to 200 characters")
    material = keys.generate("test" if test else "live")
    for _attempt in range(2):  # a concurrent creator of the same account wins once
        try:
            async with db.write() as conn:
                now = now_us()
                account_id = await repository.account_id_by_name(conn, account)
                if account_id is None:
                    account_id = new_id("acct", 12)
                    await repository.insert_account(conn, account_id, account, now)
                key_id = new_id("key", 12)
                await repository.insert_key(
                    conn,
                    key_id=key_id,
                    account_id=account_id,
                    name=name,
                    prefix=material.prefix,
                    key_hash=material.key_hash,
                    mode=material.mode,
                    now=now,
                    spend_limit=spend_limit,
                    limit_month=month_start(now),
                )
            return CreatedKey(
                material.secret, key_id, account_id, account, material.prefix, material.mode
            )
        except IntegrityError:
            continue
    raise KeyOperationError(f"could not create a key for account {account!r}; try again")


async def authenticate(db: Database, secret: str) -> Principal | None:
    if not keys.looks_like_key(secret):
        return None
    async with db.read() as conn:
        return await repository.principal_by_hash(conn, keys.hash_key(secret))


async def list_keys(db: Database, account: str | None = None) -> list[KeyRow]:
    async with db.read() as conn:
        return await repository.list_keys(conn, account)


async def _one_active_key(conn: AsyncConnection, prefix_or_key: str) -> KeyRow:
    """The one key whose display prefix starts with the text given (or the full key)."""
    text = prefix_or_key.strip()
    if len(text) < 9:
        raise KeyOperationError("give at least the first 9 characters of the key (e.g. mg_live_Ab)")
    full = keys.hash_key(text) if len(text) > keys.DISPLAY_CHARS else None
    matches = await repository.keys_matching(conn, prefix=text, key_hash=full)
    active = [k for k in matches if k.revoked_at is None]
    if not matches:
        raise KeyOperationError(f"no key starts with {text!r}")
    if len(matches) > 1:
        listed = ", ".join(k.prefix for k in matches)
        raise KeyOperationError(f"{text!r} matches {len(matches)} keys ({listed}); give more of it")
    if not active:
        raise KeyOperationError(f"key {matches[0].prefix} is already revoked")
    return active[0]


async def revoke_key(db: Database, prefix_or_key: str) -> KeyRow:
    """Revoke the one key whose display prefix starts with the text given (or the full key)."""
    async with db.write() as conn:
        key = await _one_active_key(conn, prefix_or_key)
        await repository.revoke(conn, key.id, now_us())
        return key


async def set_spend_limit(
    db: Database, prefix_or_key: str, limit: int | None
) -> tuple[KeyRow, int]:
    """Set (or clear: None) a key's monthly spend limit; (the key, what is committed against
    it this month)."""
    async with db.write() as conn:
        key = await _one_active_key(conn, prefix_or_key)
        committed = await key_limits.set_limit(conn, key.id, key.account_id, limit)
        return key, committed
