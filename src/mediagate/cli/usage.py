"""`mediagate usage` and `mediagate account`: your usage, credits and ledger on a gateway."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated

import typer

from mediagate.cli.common import print_table
from mediagate.cli.remote import JsonOption, KeyOption, UrlOption, connected, iso, print_json
from mediagate.client import Account, LedgerEntry, UsageRow

USAGE_HEADER = ("group", "tasks", "succeeded", "failed", "cancelled", "cost")
LEDGER_HEADER = ("entry", "type", "amount", "balance after", "task", "note", "at")


def amount(value: float) -> str:
    """An amount as `mediagate accounts` writes it: `12.5`, `0.002`, `0` (to the micro)."""
    written = format(Decimal(repr(round(value, 6))), "f")
    return written.rstrip("0").rstrip(".") if "." in written else written


def _usage_cells(row: UsageRow) -> tuple[str, ...]:
    counts = (row.tasks, row.succeeded, row.failed, row.cancelled)
    return (row.group, *map(str, counts), amount(row.cost))


def _total(rows: list[UsageRow]) -> tuple[str, ...]:
    counts = [sum(getattr(r, name) for r in rows) for name in USAGE_HEADER[1:5]]
    return ("total", *map(str, counts), amount(sum(r.cost for r in rows)))


def usage(
    by: Annotated[str, typer.Option("--by", help="Group by day, model, provider or key.")] = "day",
    since: Annotated[
        str | None, typer.Option(help="From this UTC day on (ISO 8601: 2026-11-01).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to this UTC day, included.")] = None,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Your tasks and their cost per day (by default the last 30), model, provider or key: a
    table with a total line, tab-separated when piped; --json prints the rows alone."""
    flags = {"startDate": "--since", "endDate": "--until", "groupBy": "--by"}
    with connected(url, api_key, flags=flags) as client:
        rows = client.usage(start_date=since, end_date=until, group_by=by)
    if json_output:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    print_table(USAGE_HEADER, [*map(_usage_cells, rows), _total(rows)])


def _account_rows(account: Account) -> list[tuple[str, str]]:
    return [
        ("id", account.id),
        ("name", account.name),
        ("billing", account.billing),
        ("balance", amount(account.balance)),
        ("held", amount(account.held)),
        ("available", amount(account.available)),
        ("spent_this_month", amount(account.spent_this_month)),
    ]


def _ledger_cells(e: LedgerEntry) -> tuple[str, ...]:
    return (
        e.id, e.type, amount(e.amount), amount(e.balance_after), e.task_id or "", e.note or "",
        iso(e.created_at),
    )  # fmt: skip


def account(
    ledger: Annotated[
        int,
        typer.Option("--ledger", min=0, metavar="N", help="Also show the latest N ledger entries."),
    ] = 0,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Your account: billing mode, balance, credits held for unfinished tasks, what is
    available, this month's spend. With --json, the account object (and its `ledger` list
    with --ledger)."""
    with connected(url, api_key) as client:
        found = client.account.get()
        latest = client.account.ledger(limit=min(ledger, 100)) if ledger else []
        entries = list(itertools.islice(latest, ledger))
    if json_output:
        data = found.model_dump(mode="json")
        if ledger:
            data["ledger"] = [e.model_dump(mode="json", exclude_none=True) for e in entries]
        print_json(data)
        return
    print_table(("field", "value"), _account_rows(found))
    if ledger:
        print()
        print_table(LEDGER_HEADER, map(_ledger_cells, entries))
