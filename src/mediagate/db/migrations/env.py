"""Alembic environment: runs migrations on the async engine of the configured database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from mediagate.db import dialect
from mediagate.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
        # Alembic runs SQLite DDL outside a transaction by default; SQLite's DDL is
        # transactional, and one transaction (begun IMMEDIATE, see dialect) is what keeps
        # processes that upgrade at once from applying the same migration twice.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        dialect.lock_for_migrations(connection)
        context.run_migrations()


async def _run_async() -> None:
    url = config.attributes["database_url"]
    engine = dialect.create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{dialect.WRITE_OPTION: True})
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("mediagate migrations run online only: use `mediagate db upgrade`")
asyncio.run(_run_async())
