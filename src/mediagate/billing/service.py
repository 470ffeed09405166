"""Credits and usage operations behind the API (`/account`, `/account/ledger`, `/usage`) and
the CLI (`accounts grant|list|show`, `keys set-limit`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediagate.accounts.repository import Principal
from mediagate.billing import repository
from mediagate.billing.holds import month_start
from mediagate.billing.repository import AccountRow, LedgerRow
from mediagate.billing.serialize import account_object, ledger_object, usage_object
from mediagate.core import cursor as cursors
from mediagate.core.clock import now_us
from mediagate.core.errors import InvalidParameter
from mediagate.db import Database

#: Usage without `startDate` covers this many days up to `endDate`.
DEFAULT_USAGE_DAYS = 30
MAX_USAGE_DAYS = 3660


class AccountOperationError(Exception):
    """An account operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class LedgerPage:
    items: list[dict[str, Any]]
    cursor: str | None
    has_more: bool
    total: int


@dataclass(frozen=True)
class AccountSummary:
    account: AccountRow
    spent_this_month: int


async def summary(db: Database, account_id: str, *, sandbox: bool = False) -> AccountSummary:
    async with db.read() as conn:
        account = await repository.account_by_id(conn, account_id)
        assert account is not None, "an authenticated key's account exists"
        first_day = repository.day_of(month_start(now_us()))
        spent = await repository.cost_since(conn, account_id, sandbox=sandbox, first_day=first_day)
    return AccountSummary(account, spent)


async def account_for(db: Database, principal: Principal) -> dict[str, Any]:
    found = await summary(db, principal.account_id, sandbox=principal.sandbox)
    return account_object(found.account, found.spent_this_month)


def _decode_cursor(text: str) -> int:
    try:
        kind, seq = cursors.unpack(text, 40).split(".", 1)
        if kind != "l":
            raise ValueError("not a ledger cursor")
        return cursors.number(seq)
    except ValueError:
        raise cursors.invalid() from None


def _encode_cursor(seq: int) -> str:
    return cursors.pack(f"l.{seq}")


async def ledger(
    db: Database, principal: Principal, *, cursor_text: str | None, limit: int
) -> LedgerPage:
    """Newest first. The ledger is live money: a sandbox key's is empty."""
    before = _decode_cursor(cursor_text) if cursor_text is not None else None
    if principal.sandbox:
        return LedgerPage([], None, False, 0)
    async with db.read() as conn:
        rows = await repository.ledger_page(
            conn, principal.account_id, before=before, limit=limit + 1
        )
        total = await repository.ledger_count(conn, principal.account_id)
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = _encode_cursor(rows[-1].seq) if has_more else None
    return LedgerPage([ledger_object(r) for r in rows], cursor, has_more, total)


async def usage(
    db: Database,
    principal: Principal,
    *,
    start: int | None,
    end: int | None,
    group_by: str,
) -> list[dict[str, Any]]:
    """Per group, the tasks created on the UTC days from `start`'s to `end`'s (both included;
    by default the last 30 days), in the caller's mode."""
    if group_by not in repository.USAGE_GROUPS:
        raise InvalidParameter("groupBy", f"must be one of {', '.join(repository.USAGE_GROUPS)}")
    end_day = repository.day_of(end if end is not None else now_us()) + 1
    first_day = repository.day_of(start) if start is not None else end_day - DEFAULT_USAGE_DAYS
    if end_day - first_day > MAX_USAGE_DAYS:
        raise InvalidParameter("startDate", f"the range must be at most {MAX_USAGE_DAYS} days")
    async with db.read() as conn:
        rows = await repository.usage(
            conn, principal.account_id, sandbox=principal.sandbox, first_day=first_day,
            end_day=end_day, group_by=group_by,
        )  # fmt: skip
    return [usage_object(group_by, row) for row in rows]


@dataclass(frozen=True)
class Granted:
    account: AccountRow
    entry: LedgerRow


async def grant(db: Database, account_name: str, amount: int, note: str | None) -> Granted:
    """Add credits to an account (which is prepaid from now on), with its ledger entry."""
    if note is not None and len(note) > 500:
        raise AccountOperationError("the note must be at most 500 characters")
    async with db.write() as conn:
        account = await repository.account_by_name(conn, account_name)
        if account is None:
            raise AccountOperationError(
                f"no account named {account_name!r} (`mediagate keys create --account NAME` "
                "makes one)"
            )
        now = now_us()
        balance = await repository.add_to_balance(conn, account.id, amount)
        seq = await repository.insert_entry(
            conn, account_id=account.id, type="grant", amount=amount, balance_after=balance,
            task_id=None, note=note or None, now=now,
        )  # fmt: skip
        updated = await repository.account_by_id(conn, account.id)
    assert updated is not None
    return Granted(updated, LedgerRow(seq, "grant", amount, balance, None, note or None, now))


async def list_accounts(db: Database) -> list[AccountSummary]:
    async with db.read() as conn:
        found = await repository.all_accounts(conn)
        first_day = repository.day_of(month_start(now_us()))
        return [
            AccountSummary(
                a, await repository.cost_since(conn, a.id, sandbox=False, first_day=first_day)
            )
            for a in found
        ]


async def show_account(
    db: Database, name: str, entries: int = 10
) -> tuple[AccountSummary, list[LedgerRow]]:
    async with db.read() as conn:
        account = await repository.account_by_name(conn, name)
        if account is None:
            raise AccountOperationError(f"no account named {name!r}")
        first_day = repository.day_of(month_start(now_us()))
        spent = await repository.cost_since(conn, account.id, sandbox=False, first_day=first_day)
        rows = await repository.ledger_page(conn, account.id, before=None, limit=entries)
    return AccountSummary(account, spent), rows
