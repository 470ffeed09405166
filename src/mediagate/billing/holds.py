"""The hold placed when a task is made, inside the create's transaction: the most the task can
cost, held on a prepaid account's credits and reserved against the key's monthly spend limit.
The settle trigger (migration 0007) charges and releases it when the task becomes final."""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.accounts.repository import Principal
from mediagate.billing import money, repository
from mediagate.billing.pricing import max_cost_micros
from mediagate.catalog.spec import ModelSpec
from mediagate.core.errors import InsufficientCredits


@dataclass(frozen=True)
class Holds:
    max_cost: int
    hold: int = 0  # held on the account's credits
    limit_hold: int = 0  # reserved against the key's monthly limit
    balance: int = 0  # the account's balance when the hold was placed

    def task_values(self) -> dict[str, int]:
        return {
            "max_cost_micros": self.max_cost,
            "hold_micros": self.hold,
            "limit_hold_micros": self.limit_hold,
        }


def month_start(us: int) -> int:
    """The start (UTC, microseconds) of the month holding `us`."""
    t = time.gmtime(us // 1_000_000)
    return calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)) * 1_000_000


async def place(
    conn: AsyncConnection,
    principal: Principal,
    spec: ModelSpec,
    inputs: Mapping[str, Any],
    now: int,
) -> Holds:
    """Hold the task's most; 402 when the account's credits or the key's limit fall short (the
    caller's transaction then rolls back, so nothing is made). Sandbox tasks cost 0: no hold."""
    most = max_cost_micros(spec, inputs, sandbox=principal.sandbox)
    if most <= 0:
        return Holds(max_cost=most)
    hold = limit_hold = balance = 0
    if principal.prepaid:  # the account row first, then the key's: the settle trigger's order
        held_balance = await repository.hold_credits(conn, principal.account_id, most)
        if held_balance is None:
            account = await repository.account_by_id(conn, principal.account_id)
            assert account is not None
            available = account.balance_micros - account.held_micros
            raise InsufficientCredits(
                f"insufficient credits: this task needs {money.text(most)} and the account has "
                f"{money.text(available)} available (balance {money.text(account.balance_micros)}"
                f", held for unfinished tasks {money.text(account.held_micros)})"
            )
        hold, balance = most, held_balance
    if principal.limited:
        month = month_start(now)
        if not await repository.reserve_key_limit(conn, principal.key_id, most, month):
            limit, committed = await repository.key_limit(conn, principal.key_id, month)
            if limit is not None:
                left = max(limit - committed, 0)
                raise InsufficientCredits(
                    f"the key's monthly spend limit is reached: this task needs "
                    f"{money.text(most)} and the key has {money.text(left)} available of its "
                    f"{money.text(limit)} limit this month"
                )
        else:
            limit_hold = most
    return Holds(max_cost=most, hold=hold, limit_hold=limit_hold, balance=balance)


async def record(conn: AsyncConnection, principal: Principal, task_id: str, holds: Holds,
                 now: int) -> None:  # fmt: skip
    """The hold's ledger entry, after the task's row (same transaction)."""
    if holds.hold > 0:
        await repository.insert_entry(
            conn, account_id=principal.account_id, type="hold", amount=holds.hold,
            balance_after=holds.balance, task_id=task_id, note=None, now=now,
        )  # fmt: skip
