"""`mediagate accounts ...`: credits (grant, list, show) and limits (set)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mediagate.billing import service as billing

from mediagate.accounts.fairness import MAX_SHARE
from mediagate.billing import money
from mediagate.cli.common import (
    amount_arg,
    err,
    fail,
    load_settings,
    print_table,
    with_database,
)
from mediagate.core.clock import iso_from_us

app = typer.Typer(
    help="Accounts: credits, spend and fairness limits.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("grant")
def grant(
    account: Annotated[str, typer.Argument(help="The account's name.")],
    amount: Annotated[str, typer.Argument(help="Credits to add, like 25 or 12.50.")],
    note: Annotated[str | None, typer.Option(help="Why (kept in the ledger).")] = None,
) -> None:
    """Add credits to an account; from its first grant on, an account is prepaid (a task must
    be covered by its available credits)."""
    from mediagate.billing import service as billing

    micros = amount_arg(amount, "AMOUNT")
    try:
        granted = with_database(
            load_settings(), lambda db: billing.grant(db, account, micros, note)
        )
    except billing.AccountOperationError as exc:
        raise fail(str(exc)) from None
    a = granted.account
    err.print(
        f"granted {money.text(micros)} to {a.name!r}: balance {money.text(a.balance_micros)}, "
        f"available {money.text(a.balance_micros - a.held_micros)}",
        highlight=False,
    )


def _account_cells(found: billing.AccountSummary) -> tuple[str, ...]:
    a = found.account
    return (
        a.name,
        "prepaid" if a.prepaid else "postpaid",
        money.text(a.balance_micros),
        money.text(a.held_micros),
        money.text(a.balance_micros - a.held_micros),
        money.text(found.spent_this_month),
        "default" if a.max_concurrency is None else str(a.max_concurrency or "no limit"),
        str(a.share),
    )


_ACCOUNT_HEADER = (
    "account", "billing", "balance", "held", "available", "spent this month", "concurrency",
    "share",
)  # fmt: skip


@app.command("list")
def list_() -> None:
    """Every account with its credits: a table on a terminal, tab-separated lines when piped."""
    from mediagate.billing import service as billing

    found = with_database(load_settings(), billing.list_accounts)
    print_table(_ACCOUNT_HEADER, [_account_cells(f) for f in found])


@app.command("show")
def show(
    account: Annotated[str, typer.Argument(help="The account's name.")],
    entries: Annotated[int, typer.Option(min=1, max=1000, help="Ledger entries shown.")] = 10,
) -> None:
    """One account's credits and its latest ledger entries."""
    from mediagate.billing import service as billing
    from mediagate.billing.serialize import ledger_id

    try:
        found, rows = with_database(
            load_settings(), lambda db: billing.show_account(db, account, entries)
        )
    except billing.AccountOperationError as exc:
        raise fail(str(exc)) from None
    print_table(_ACCOUNT_HEADER, [_account_cells(found)])
    print()
    print_table(
        ("entry", "type", "amount", "balance after", "task", "note", "at"),
        [
            (
                ledger_id(r.seq), r.type, money.text(r.amount_micros),
                money.text(r.balance_after_micros), r.task_id or "", r.note or "",
                iso_from_us(r.created_at) or "",
            )
            for r in rows
        ],
    )  # fmt: skip


@app.command("set")
def set_(
    account: Annotated[str, typer.Argument(help="The account's name.")],
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="At most N of its tasks in flight at one provider; the rest wait pending, "
            "in turn.",
        ),
    ] = None,
    no_limit: Annotated[
        bool, typer.Option("--no-limit", help="No limit, whatever the settings' default.")
    ] = False,
    default_limit: Annotated[
        bool,
        typer.Option(
            "--default-limit", help="Back to the default (MEDIAGATE_ACCOUNT_CONCURRENCY)."
        ),
    ] = False,
    share: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_SHARE,
            help="Its weight against other accounts waiting at a provider (default 1): an "
            "account of share 2 gets two turns for another's one.",
        ),
    ] = None,
) -> None:
    """Set an account's concurrency limit and share; prints the settings in force."""
    from mediagate.accounts import limits

    if sum((concurrency is not None, no_limit, default_limit)) > 1:
        raise fail("give one of --concurrency, --no-limit, --default-limit", code=2)
    if concurrency is None and not no_limit and not default_limit and share is None:
        raise fail("nothing to set: give --concurrency, --no-limit, --default-limit or --share", 2)
    change = limits.DEFAULT if default_limit else 0 if no_limit else concurrency
    settings = load_settings()
    try:
        result = with_database(
            settings,
            lambda db: limits.set_limits(db, account, concurrency=change, share=share),
        )
    except limits.LimitError as exc:
        raise fail(str(exc)) from None
    err.print(limits.describe(result, settings.account_concurrency), highlight=False)
