"""The contract's account, ledger entry and usage objects."""

from __future__ import annotations

from typing import Any

from mediagate.billing.money import number
from mediagate.billing.repository import AccountRow, LedgerRow
from mediagate.core.clock import iso_from_us
from mediagate.db.tables import COUNT_DAY_US


def account_object(account: AccountRow, spent_this_month: int) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "billing": "prepaid" if account.prepaid else "postpaid",
        "balance": number(account.balance_micros),
        "held": number(account.held_micros),
        "available": number(account.balance_micros - account.held_micros),
        "spent_this_month": number(spent_this_month),
    }


def ledger_id(seq: int) -> str:
    return f"led_{seq:016x}"


def ledger_object(entry: LedgerRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ledger_id(entry.seq),
        "type": entry.type,
        "amount": number(entry.amount_micros),
        "balance_after": number(entry.balance_after_micros),
    }
    if entry.task_id is not None:
        out["task_id"] = entry.task_id
    if entry.note is not None:
        out["note"] = entry.note
    out["created_at"] = iso_from_us(entry.created_at)
    return out


def usage_object(group_by: str, row: tuple[Any, ...]) -> dict[str, Any]:
    group, tasks, succeeded, failed, cancelled, cost = row
    if group_by == "day":
        group = (iso_from_us(int(group) * COUNT_DAY_US) or "")[:10]
    return {
        "group": group,
        "tasks": int(tasks),
        "succeeded": int(succeeded),
        "failed": int(failed),
        "cancelled": int(cancelled),
        "cost": number(int(cost)),
    }
