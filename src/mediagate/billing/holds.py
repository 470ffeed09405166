"""The hold of a new task: the most it can cost, held on a prepaid account's credits and
reserved against the key's monthly spend limit. The create plans it (`planned`, written on the
task's row); the hold trigger of migration 0007 takes it, with its ledger entry, in the
create's transaction, or refuses it (`refusal` words the 402). The settle trigger charges and
releases it when the task becomes final."""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mediagate.accounts.repository import Principal
from mediagate.billing import money, repository
from mediagate.billing.pricing import max_cost_micros
from mediagate.catalog.spec import ModelSpec
from mediagate.core.clock import now_us
from mediagate.core.errors import InsufficientCredits
from mediagate.db import Database, dialect


@dataclass(frozen=True)
class Holds:
    max_cost: int
    hold: int = 0  # held on the account's credits
    limit_hold: int = 0  # reserved against the key's monthly limit

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


def planned(principal: Principal, spec: ModelSpec, inputs: Mapping[str, Any]) -> Holds:
    """What a new task will hold: its most on a prepaid account's credits and against a
    limited key (written on the task's row; the hold trigger then takes them, or refuses)."""
    most = max_cost_micros(spec, inputs, sandbox=principal.sandbox)
    if most <= 0:
        return Holds(max_cost=max(most, 0))
    return Holds(
        max_cost=most,
        hold=most if principal.prepaid else 0,
        limit_hold=most if principal.limited else 0,
    )


async def refusal(
    db: Database, principal: Principal, holds: Holds, reason: str
) -> InsufficientCredits:
    """The 402 for a hold the trigger refused (`reason`: `dialect.refused_hold`), naming the
    amount needed and the amount available as they are now."""
    now = now_us()
    async with db.read() as conn:
        if reason == dialect.INSUFFICIENT_CREDITS:
            account = await repository.account_by_id(conn, principal.account_id)
            assert account is not None
            available = account.balance_micros - account.held_micros
            return InsufficientCredits(
                f"insufficient credits: this task needs {money.text(holds.hold)} and the account "
                f"has {money.text(max(available, 0))} available (balance "
                f"{money.text(account.balance_micros)}, held for unfinished tasks "
                f"{money.text(account.held_micros)})"
            )
        limit, committed = await repository.key_limit(conn, principal.key_id, month_start(now))
    left = max((limit or 0) - committed, 0)
    return InsufficientCredits(
        f"the key's monthly spend limit is reached: this task needs "
        f"{money.text(holds.limit_hold)} and the key has {money.text(left)} available of its "
        f"{money.text(limit or 0)} limit this month"
    )
