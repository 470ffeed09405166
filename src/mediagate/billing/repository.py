"""Every query on credits, holds, key spend limits, the ledger and usage.

Charges and releases are not here: the settle trigger of migration 0007 writes them in the
transaction that makes a task final.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.db.tables import (
    COUNT_DAY_US,
    accounts,
    api_keys,
    ledger_entries,
    task_count_deltas,
    task_counts,
    tasks,
)
from mediagate.tasks.statuses import ACTIVE


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    prepaid: bool
    balance_micros: int
    held_micros: int
    max_concurrency: int | None
    share: int
    created_at: int


@dataclass(frozen=True)
class LedgerRow:
    seq: int
    type: str
    amount_micros: int
    balance_after_micros: int
    task_id: str | None
    note: str | None
    created_at: int


_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.prepaid,
    accounts.c.balance_micros,
    accounts.c.held_micros,
    accounts.c.max_concurrency,
    accounts.c.share,
    accounts.c.created_at,
)


def _account(row) -> AccountRow:  # type: ignore[no-untyped-def]
    return AccountRow(row[0], row[1], bool(row[2]), *row[3:])


async def account_by_id(conn: AsyncConnection, account_id: str) -> AccountRow | None:
    row = (await conn.execute(select(*_ACCOUNT_COLUMNS).where(accounts.c.id == account_id))).first()
    return _account(row) if row else None


async def account_by_name(conn: AsyncConnection, name: str) -> AccountRow | None:
    row = (await conn.execute(select(*_ACCOUNT_COLUMNS).where(accounts.c.name == name))).first()
    return _account(row) if row else None


async def all_accounts(conn: AsyncConnection) -> list[AccountRow]:
    query = select(*_ACCOUNT_COLUMNS).order_by(accounts.c.name)
    return [_account(row) for row in (await conn.execute(query)).all()]


async def add_to_balance(conn: AsyncConnection, account_id: str, amount: int) -> int:
    """Credit a grant; the account is prepaid from now on. The new balance."""
    result = await conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(
            balance_micros=accounts.c.balance_micros + amount,
            prepaid=1,
            ledger_count=accounts.c.ledger_count + 1,
        )
        .returning(accounts.c.balance_micros)
    )
    return int(result.scalar_one())


def _committed_this_month(month: int):  # type: ignore[no-untyped-def]
    return case(
        (api_keys.c.limit_month == month, api_keys.c.limit_committed_micros), else_=literal(0)
    )


async def reserve_key_limit(conn: AsyncConnection, key_id: str, amount: int, month: int) -> bool:
    """Reserve `amount` against the key's spend limit for the month starting at `month`
    (a new month starts from 0), if it fits."""
    committed = _committed_this_month(month)
    result = await conn.execute(
        update(api_keys)
        .where(
            api_keys.c.id == key_id,
            api_keys.c.spend_limit_micros.is_not(None),
            committed + amount <= api_keys.c.spend_limit_micros,
        )
        .values(limit_committed_micros=committed + amount, limit_month=month)
    )
    return result.rowcount == 1


async def key_limit(conn: AsyncConnection, key_id: str, month: int) -> tuple[int | None, int]:
    """(the key's limit, what is committed against it this month)."""
    row = (
        await conn.execute(
            select(api_keys.c.spend_limit_micros, _committed_this_month(month)).where(
                api_keys.c.id == key_id
            )
        )
    ).one()
    return row[0], int(row[1])


async def set_key_limit(
    conn: AsyncConnection, key_id: str, limit: int | None, month: int, committed: int | None
) -> None:
    """Set (or clear, None) the key's limit; `committed` restarts its month's count."""
    values: dict[str, object] = {"spend_limit_micros": limit}
    if committed is not None:
        values |= {"limit_month": month, "limit_committed_micros": committed}
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(**values))


async def reserve_unfinished_for_limit(conn: AsyncConnection, key_id: str, month: int) -> int:
    """A key getting a limit: its unfinished live tasks of this month reserve their most
    against it from now on (their settlement then counts their real cost). Their sum."""
    result = await conn.execute(
        update(tasks)
        .where(
            tasks.c.key_id == key_id,
            tasks.c.sandbox == 0,
            tasks.c.status.in_(ACTIVE),
            tasks.c.created_at >= month,
            tasks.c.limit_hold_micros == 0,
        )
        .values(limit_hold_micros=func.coalesce(tasks.c.max_cost_micros, 0))
        .returning(tasks.c.limit_hold_micros)
    )
    return sum(int(row[0]) for row in result.all())


async def insert_entry(
    conn: AsyncConnection,
    *,
    account_id: str,
    type: str,
    amount: int,
    balance_after: int,
    task_id: str | None,
    note: str | None,
    now: int,
) -> int:
    result = await conn.execute(
        ledger_entries.insert()
        .values(
            account_id=account_id,
            type=type,
            amount_micros=amount,
            balance_after_micros=balance_after,
            task_id=task_id,
            note=note,
            created_at=now,
        )
        .returning(ledger_entries.c.seq)
    )
    return int(result.scalar_one())


async def ledger_page(
    conn: AsyncConnection, account_id: str, *, before: int | None, limit: int
) -> list[LedgerRow]:
    """Newest first; `before` is the seq the previous page ended at."""
    query = select(
        ledger_entries.c.seq,
        ledger_entries.c.type,
        ledger_entries.c.amount_micros,
        ledger_entries.c.balance_after_micros,
        ledger_entries.c.task_id,
        ledger_entries.c.note,
        ledger_entries.c.created_at,
    ).where(ledger_entries.c.account_id == account_id)
    if before is not None:
        query = query.where(ledger_entries.c.seq < before)
    query = query.order_by(ledger_entries.c.seq.desc()).limit(limit)
    return [LedgerRow(*row) for row in (await conn.execute(query)).all()]


async def ledger_count(conn: AsyncConnection, account_id: str) -> int:
    """Kept on the account's row by every ledger write (no count of the ledger)."""
    query = select(accounts.c.ledger_count).where(accounts.c.id == account_id)
    return int(await conn.scalar(query) or 0)


#: Usage groups: the count column each `groupBy` sums by.
USAGE_GROUPS = ("day", "model", "provider", "key")


async def usage(
    conn: AsyncConnection,
    account_id: str,
    *,
    sandbox: bool,
    first_day: int,
    end_day: int,
    group_by: str,
) -> list[tuple[object, int, int, int, int, int]]:
    """(group, tasks, succeeded, failed, cancelled, cost) per group, for tasks created on UTC
    days [first_day, end_day), from the counts (compacted and pending): a few rows per day,
    whatever the number of tasks."""
    parts = []
    for table in (task_counts, task_count_deltas):
        column = table.c["key_id" if group_by == "key" else group_by]
        parts.append(
            select(column.label("grp"), table.c.status, table.c.n, table.c.cost_micros).where(
                table.c.account_id == account_id,
                table.c.sandbox == int(sandbox),
                table.c.day >= first_day,
                table.c.day < end_day,
            )
        )
    both = union_all(*parts).subquery()

    def of(status: str):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((both.c.status == status, both.c.n), else_=0)), 0)

    query = (
        select(
            both.c.grp,
            func.coalesce(func.sum(both.c.n), 0),
            of("succeeded"),
            of("failed"),
            of("cancelled"),
            func.coalesce(func.sum(both.c.cost_micros), 0),
        )
        .group_by(both.c.grp)
        .order_by(both.c.grp)
    )
    rows = (await conn.execute(query)).all()
    # A group whose tasks all moved away (deltas summing to 0) is no group.
    return [tuple(row) for row in rows if row[1] or row[5]]  # type: ignore[misc]


async def cost_since(
    conn: AsyncConnection, account_id: str, *, sandbox: bool, first_day: int,
    key_id: str | None = None,
) -> int:  # fmt: skip
    """The summed cost of tasks created from UTC day `first_day` on."""
    parts = []
    for table in (task_counts, task_count_deltas):
        where = [
            table.c.account_id == account_id,
            table.c.sandbox == int(sandbox),
            table.c.day >= first_day,
        ]
        if key_id is not None:
            where.append(table.c.key_id == key_id)
        parts.append(select(table.c.cost_micros).where(and_(*where)))
    both = union_all(*parts).subquery()
    return int(await conn.scalar(select(func.coalesce(func.sum(both.c.cost_micros), 0))) or 0)


def day_of(us: int) -> int:
    return us // COUNT_DAY_US
