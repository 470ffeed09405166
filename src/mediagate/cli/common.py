"""What the commands share: settings, a database for one command, clean failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the server's modules are imported when a command needs them
    from mediagate.config import Settings
    from mediagate.db import Database

T = TypeVar("T")
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def amount_arg(text: str, what: str) -> int:
    """An amount from the command line (`25`, `12.50`) in micros; a clean failure naming
    `what` otherwise."""
    from mediagate.billing.money import parse_amount

    try:
        return parse_amount(text)
    except ValueError as exc:
        raise fail(f"{what}: {exc}") from None


def print_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Rows on standard output: a table on a terminal, tab-separated lines (header first) when
    piped. Cells are shown as text (no markup), tabs and line breaks made spaces."""
    out = Console()
    if not out.is_terminal:
        for row in (header, *rows):
            print("\t".join(" ".join(str(cell).split()) for cell in row))
        return
    rows = [[str(cell) for cell in row] for row in rows]
    table = Table()
    for index, name in enumerate(header):
        if name in _WHOLE:  # never cut or folded: it is copied from here
            widest = max([len(name), *(len(row[index]) for row in rows)])
            table.add_column(name, no_wrap=True, min_width=widest)
        else:
            table.add_column(name)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    out.print(table)


#: Columns shown whole on a terminal, whatever its width (ids, keys' prefixes).
_WHOLE = frozenset({"id", "task", "task_id", "prefix", "event", "webhook"})


def load_settings() -> Settings:
    from mediagate.config import Settings
    from mediagate.db.urls import DatabaseURLError

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"MEDIAGATE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"bad configuration: {problems}") from None
    try:
        settings.database  # noqa: B018 - parse the URL now, to fail with a clear message
    except DatabaseURLError as exc:
        raise fail(str(exc)) from None
    settings.ensure_data_dir()
    return settings


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database, schema brought up to date first. A SQLite
    database made just now is said on standard error: a command run from another directory
    than the server's reaches another database (its keys unknown to the server)."""
    from mediagate.db import Database
    from mediagate.db.migrate import upgrade

    path = settings.database.sqlite_path
    if path is not None and not path.exists():
        err.print(
            f"[yellow]note:[/yellow] made a new, empty database at {path}; a server started "
            "elsewhere uses its own (set MEDIAGATE_DATA_DIR or MEDIAGATE_DATABASE_URL to share "
            "one)",
            highlight=False,
        )
    upgrade(settings.database)

    async def run() -> T:
        db = Database(settings.database)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())
