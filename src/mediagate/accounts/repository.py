"""Queries on accounts and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db.tables import accounts, api_keys


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's account and whether it runs in sandbox mode."""

    account_id: str
    key_id: str
    mode: str
    #: Read with the key at each request: a prepaid account's creates place holds, and a key
    #: with a monthly spend limit reserves against it.
    prepaid: bool = False
    limited: bool = False

    @property
    def sandbox(self) -> bool:
        return self.mode == "test"


@dataclass(frozen=True)
class KeyRow:
    id: str
    account_name: str
    name: str
    prefix: str
    mode: str
    created_at: int
    revoked_at: int | None
    account_id: str
    spend_limit_micros: int | None


async def account_id_by_name(conn: AsyncConnection, name: str) -> str | None:
    return await conn.scalar(select(accounts.c.id).where(accounts.c.name == name))


async def insert_account(conn: AsyncConnection, account_id: str, name: str, now: int) -> None:
    await conn.execute(accounts.insert().values(id=account_id, name=name, created_at=now))


async def insert_key(
    conn: AsyncConnection,
    *,
    key_id: str,
    account_id: str,
    name: str,
    prefix: str,
    key_hash: str,
    mode: str,
    now: int,
    spend_limit: int | None = None,
    limit_month: int = 0,
) -> None:
    await conn.execute(
        api_keys.insert().values(
            id=key_id,
            account_id=account_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            mode=mode,
            created_at=now,
            spend_limit_micros=spend_limit,
            limit_month=limit_month,
        )
    )


def _principal_query(condition: ColumnElement[bool]):  # type: ignore[no-untyped-def]
    return (
        select(
            api_keys.c.account_id,
            api_keys.c.id,
            api_keys.c.mode,
            accounts.c.prepaid,
            api_keys.c.spend_limit_micros,
        )
        .join(accounts, accounts.c.id == api_keys.c.account_id)
        .where(condition, api_keys.c.revoked_at.is_(None))
    )


async def _principal(conn: AsyncConnection, condition: ColumnElement[bool]) -> Principal | None:
    row = (await conn.execute(_principal_query(condition))).first()
    if row is None:
        return None
    return Principal(row[0], row[1], row[2], bool(row[3]), row[4] is not None)


async def principal_by_hash(conn: AsyncConnection, key_hash: str) -> Principal | None:
    return await _principal(conn, api_keys.c.key_hash == key_hash)


async def principal_by_key_id(conn: AsyncConnection, key_id: str) -> Principal | None:
    """The principal of a key known by its id (a dashboard session's); None once revoked."""
    return await _principal(conn, api_keys.c.id == key_id)


def _key_rows_query():  # type: ignore[no-untyped-def]
    return (
        select(
            api_keys.c.id,
            accounts.c.name,
            api_keys.c.name,
            api_keys.c.prefix,
            api_keys.c.mode,
            api_keys.c.created_at,
            api_keys.c.revoked_at,
            api_keys.c.account_id,
            api_keys.c.spend_limit_micros,
        )
        .join(accounts, accounts.c.id == api_keys.c.account_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )


async def list_keys(conn: AsyncConnection, account_name: str | None = None) -> list[KeyRow]:
    query = _key_rows_query()
    if account_name is not None:
        query = query.where(accounts.c.name == account_name)
    return [KeyRow(*row) for row in (await conn.execute(query)).all()]


async def keys_matching(
    conn: AsyncConnection, *, prefix: str, key_hash: str | None
) -> list[KeyRow]:
    """Keys whose display prefix starts with `prefix` (or whose hash is `key_hash`)."""
    condition = api_keys.c.prefix.startswith(prefix[:32], autoescape=True)
    if key_hash is not None:
        condition = api_keys.c.key_hash == key_hash
    return [KeyRow(*row) for row in (await conn.execute(_key_rows_query().where(condition))).all()]


async def revoke(conn: AsyncConnection, key_id: str, now: int) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class AccountLimits:
    """An account's fairness settings: its tasks in flight at one provider at most (None: the
    settings' default; 0: no limit) and its weight when accounts wait for a provider."""

    account_id: str
    name: str
    max_concurrency: int | None
    share: int


def _limits_query():  # type: ignore[no-untyped-def]
    return select(accounts.c.id, accounts.c.name, accounts.c.max_concurrency, accounts.c.share)


async def limits_by_name(conn: AsyncConnection, name: str) -> AccountLimits | None:
    row = (await conn.execute(_limits_query().where(accounts.c.name == name))).first()
    return AccountLimits(*row) if row else None


async def update_limits(conn: AsyncConnection, account_id: str, values: dict[str, Any]) -> None:
    """Write `max_concurrency` and/or `share` of one account."""
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
