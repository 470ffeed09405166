"""`mediagate db ...`"""

from __future__ import annotations

import typer

from mediagate.cli.common import err, load_settings

app = typer.Typer(
    help="Database schema.", no_args_is_help=True, rich_markup_mode=None, add_completion=False
)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date."""
    from mediagate.db.migrate import current_head, upgrade

    settings = load_settings()
    upgrade(settings.database)
    err.print(f"schema at {current_head()} on {settings.database.display()}", highlight=False)
