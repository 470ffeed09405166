"""Schema migrations on both backends: from nothing, repeated, and concurrent on PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from sqlalchemy import inspect

from helpers import cli_env, run_cli
from mediagate.db import Database
from mediagate.db.migrate import current_head, upgrade
from mediagate.db.urls import parse_database_url


def _schema(url: str) -> tuple[set[str], str | None]:
    """(table names, alembic revision) as the database reports them."""

    async def read() -> tuple[set[str], str | None]:
        db = Database(parse_database_url(url))
        try:
            async with db.read() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                version = None
                if "alembic_version" in tables:
                    version = (
                        await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                    ).scalar_one()
                return tables, version
        finally:
            await db.close()

    return asyncio.run(read())


def test_upgrade_from_nothing_then_again_is_a_no_op(empty_database):
    url = parse_database_url(empty_database)
    upgrade(url)
    tables, version = _schema(empty_database)
    assert {"accounts", "api_keys", "tasks", "alembic_version"} <= tables
    assert version == current_head()
    upgrade(url)
    assert _schema(empty_database) == (tables, version)


def test_db_upgrade_command(empty_database, tmp_path):
    env = cli_env(database_url=empty_database, data_dir=str(tmp_path))
    proc = run_cli("db", "upgrade", env=env)
    assert proc.returncode == 0, proc.stderr
    assert current_head() in proc.stderr
    assert _schema(empty_database)[1] == current_head()


def test_concurrent_upgrades_all_succeed(empty_database, tmp_path):
    """Processes starting at once (a deploy of many replicas) must not trip on each other."""
    env = cli_env(database_url=empty_database, data_dir=str(tmp_path))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mediagate", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
        p.stdout.close()
    assert all(code == 0 for code, _ in results), results
    assert _schema(empty_database)[1] == current_head()
