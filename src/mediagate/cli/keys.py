"""`mediagate keys ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from mediagate.billing import money
from mediagate.cli.common import amount_arg, err, fail, load_settings, print_table, with_database
from mediagate.core.clock import iso_from_us

app = typer.Typer(
    help="API keys.", no_args_is_help=True, rich_markup_mode=None, add_completion=False
)


@app.command("create")
def create(
    account: Annotated[str, typer.Option(help="Account name; created if it does not exist.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    test: Annotated[bool, typer.Option("--test", help="A sandbox key (mg_test_).")] = False,
    spend_limit: Annotated[
        str | None, typer.Option(help="A monthly spend limit for the key, like 50 or 12.50.")
    ] = None,
) -> None:
    """Create a key; the key alone is printed on the last line of standard output."""
    from mediagate.accounts import service

    settings = load_settings()
    limit = amount_arg(spend_limit, "spend limit") if spend_limit is not None else None
    try:
        created = with_database(
            settings,
            lambda db: service.create_key(
                db, account=account, name=name, test=test, spend_limit=limit
            ),
        )
    except service.KeyOperationError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"created {created.mode} key {created.prefix}… for account {created.account_name!r} "
        f"in {settings.database.display()}; it is shown once, store it now",
        highlight=False,
    )
    print(created.secret)


@app.command("list")
def list_(
    account: Annotated[str | None, typer.Option(help="Only this account's keys.")] = None,
) -> None:
    """List keys: a table on a terminal, tab-separated lines when piped."""
    from mediagate.accounts import service

    rows = with_database(load_settings(), lambda db: service.list_keys(db, account))
    header = ("prefix", "account", "name", "mode", "spend limit", "created", "state")
    lines = [
        (
            row.prefix,
            row.account_name,
            row.name,
            row.mode,
            "" if row.spend_limit_micros is None else money.text(row.spend_limit_micros),
            iso_from_us(row.created_at),
            f"revoked {iso_from_us(row.revoked_at)}" if row.revoked_at else "active",
        )
        for row in rows
    ]
    print_table(header, lines)


@app.command("revoke")
def revoke(
    key_prefix: Annotated[str, typer.Argument(help="The key, or its first characters.")],
) -> None:
    """Revoke a key at once."""
    from mediagate.accounts import service

    try:
        row = with_database(load_settings(), lambda db: service.revoke_key(db, key_prefix))
    except service.KeyOperationError as exc:
        raise fail(str(exc)) from None
    err.print(f"revoked {row.prefix}… of account {row.account_name!r}", highlight=False)


@app.command("set-limit")
def set_limit(
    key_prefix: Annotated[str, typer.Argument(help="The key, or its first characters.")],
    amount: Annotated[str, typer.Argument(help="Monthly spend limit, like 50; 'none' clears it.")],
) -> None:
    """Set or clear a key's monthly spend limit: a task the rest of the month's limit cannot
    cover is refused (402), like one the account's credits cannot."""
    from mediagate.accounts import service

    limit = None if amount.strip().lower() == "none" else amount_arg(amount, "spend limit")
    try:
        key, committed = with_database(
            load_settings(), lambda db: service.set_spend_limit(db, key_prefix, limit)
        )
    except service.KeyOperationError as exc:
        raise fail(str(exc)) from None
    shown = "no limit" if limit is None else f"a limit of {money.text(limit)} a month"
    err.print(
        f"key {key.prefix}… of {key.account_name!r} now has {shown}; "
        f"{money.text(committed)} spent or held this month",
        highlight=False,
    )
