"""Accounts with credits and keys on an engine server's database, and the ledger check that
recomputes balances and holds from the ledger."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy import text

from mediagate.accounts import service as accounts
from mediagate.billing import service as billing
from mediagate.db import Database
from mediagate.db.urls import parse_database_url

T = TypeVar("T")
MICROS = 1_000_000
#: The scripted provider's price: one image.
SCRIPTED_PRICE = 250_000


def on_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(parse_database_url(url))
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


@dataclass
class Account:
    name: str
    id: str
    key: str
    key_id: str
    base_url: str

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key or self.key}"},
            timeout=30,
        )


def new_account(
    url: str,
    base_url: str,
    *,
    credits: int | None = None,
    spend_limit: int | None = None,
    test: bool = False,
) -> Account:
    """A new account with one key; `credits` (micros) granted when given (then prepaid)."""
    name = f"acct-{secrets.token_hex(5)}"

    async def make(db: Database) -> Account:
        key = await accounts.create_key(db, account=name, test=test, spend_limit=spend_limit)
        if credits is not None:
            await billing.grant(db, name, credits, "test credits")
        return Account(name, key.account_id, key.secret, key.key_id, base_url)

    return on_db(url, make)


def scripted(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"type": "image", "model": "scripted-image", "input": {"prompt": prompt}, **extra}


async def _rows(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.read() as conn:
        return list((await conn.execute(text(sql), params)).all())


def ledger_of(url: str, account_id: str) -> list[Any]:
    """(type, amount, balance_after, task_id) in order."""
    return on_db(
        url,
        lambda db: _rows(
            db,
            "SELECT type, amount_micros, balance_after_micros, task_id FROM ledger_entries "
            "WHERE account_id = :a ORDER BY seq",
            a=account_id,
        ),
    )


def check_ledger(url: str, account_id: str) -> dict[str, int]:
    """Recompute the account from its ledger and tasks, and assert everything agrees:
    balance = grants - charges; held = the holds of unfinished tasks; its entry count the
    ledger's length; every final held task
    settled exactly once (charge + release = hold, a charge only if it succeeded and equal to
    its cost); no unfinished task has a charge or a release. Returns the account's figures."""

    async def read(db: Database) -> tuple[Any, list[Any], list[Any]]:
        account = (
            await _rows(
                db,
                "SELECT balance_micros, held_micros, prepaid, ledger_count FROM accounts "
                "WHERE id = :a",
                a=account_id,
            )
        )[0]
        entries = await _rows(
            db,
            "SELECT type, amount_micros, task_id FROM ledger_entries WHERE account_id = :a",
            a=account_id,
        )
        tasks = await _rows(
            db,
            "SELECT id, status, cost_micros, hold_micros FROM tasks WHERE account_id = :a",
            a=account_id,
        )
        return account, entries, tasks

    account, entries, tasks = on_db(url, read)
    by_task: dict[str, dict[str, int]] = {}
    grants = charges = 0
    for kind, amount, task_id in entries:
        assert amount > 0, (kind, amount)
        if kind == "grant":
            grants += amount
            continue
        assert task_id is not None
        assert kind not in by_task.setdefault(task_id, {}), f"two {kind} entries for {task_id}"
        by_task[task_id][kind] = amount
        charges += amount if kind == "charge" else 0
    held = 0
    for task_id, status, cost, hold in tasks:
        got = by_task.pop(task_id, {})
        assert got.get("hold", 0) == hold, (task_id, got, hold)
        settled = got.get("charge", 0) + got.get("release", 0)
        if status in ("pending", "queued", "running"):
            assert settled == 0, (task_id, status, got)
            held += hold
        elif hold:
            assert settled == hold, (task_id, status, got, hold)
            expected = cost if status in ("succeeded", "expired") else 0
            assert got.get("charge", 0) == expected, (task_id, status, got, cost)
            assert cost <= hold
    assert not by_task, f"ledger entries for tasks that do not exist: {by_task}"
    assert account[0] == grants - charges, (account, grants, charges)
    assert account[1] == held, (account, held)
    assert account[0] - account[1] >= 0 or not account[2], "a prepaid account overdrawn"
    assert account[3] == len(entries), (account, len(entries))
    return {"balance": account[0], "held": account[1], "grants": grants, "charges": charges}
