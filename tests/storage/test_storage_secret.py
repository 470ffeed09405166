"""The URL-signing secret: made once, kept in `gateway_secrets`, the same for every process."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from sqlalchemy import select

from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import gateway_secrets
from mediagate.db.urls import parse_database_url
from mediagate.storage.signing import load_or_create_secret

_CHILD = """
import asyncio, sys
from mediagate.db import Database
from mediagate.db.urls import parse_database_url
from mediagate.storage.signing import load_or_create_secret

async def main():
    db = Database(parse_database_url(sys.argv[1]))
    try:
        print((await load_or_create_secret(db, "multi_process")).hex())
    finally:
        await db.close()

asyncio.run(main())
"""


def test_secret_is_made_once_and_read_back(empty_database: str) -> None:
    url = parse_database_url(empty_database)
    upgrade(url)
    before = now_us()

    async def run() -> tuple[bytes, bytes, bytes, list]:
        first_db, second_db = Database(url), Database(url)
        try:
            first = await load_or_create_secret(first_db)
            again = await load_or_create_secret(second_db)
            other = await load_or_create_secret(second_db, "another")
            async with first_db.read() as conn:
                rows = (await conn.execute(select(gateway_secrets))).all()
            return first, again, other, rows
        finally:
            await first_db.close()
            await second_db.close()

    first, again, other, rows = asyncio.run(run())
    assert len(first) == 32
    assert again == first
    assert other != first
    assert {row.name for row in rows} == {"url_signing", "another"}
    for row in rows:
        assert isinstance(row.value, str) and len(row.value) == 43  # unpadded base64url
        assert before <= row.created_at <= now_us()


def test_concurrent_first_starts_agree(empty_database: str) -> None:
    """Many connections racing to create the secret all get the one that was stored."""
    url = parse_database_url(empty_database)
    upgrade(url)

    async def run() -> list[bytes]:
        dbs = [Database(url) for _ in range(8)]
        try:
            return await asyncio.gather(*(load_or_create_secret(db, "raced") for db in dbs))
        finally:
            for db in dbs:
                await db.close()

    secrets = asyncio.run(run())
    assert len(set(secrets)) == 1


def test_processes_sharing_a_database_agree(empty_database: str) -> None:
    upgrade(parse_database_url(empty_database))
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, empty_database],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        outputs.append(out.strip())
    assert len(set(outputs)) == 1
    assert len(bytes.fromhex(outputs[0])) == 32
