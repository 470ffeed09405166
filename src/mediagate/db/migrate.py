"""Bring the schema up to date with Alembic (used by `serve` and `mediagate db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from mediagate.db.urls import DatabaseURL

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: DatabaseURL) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: DatabaseURL, revision: str = "head") -> None:
    """Must be called outside a running event loop (Alembic's env runs its own)."""
    if url.sqlite_path is not None:
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()
