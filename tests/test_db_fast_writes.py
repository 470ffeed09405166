"""The engine's fenced writes on the raw-driver fast path, where concurrent steps' writes go to
the database together: each write still gets its own answer, on both backends."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import select, update

from helpers import insert_tasks
from mediagate.accounts import service as accounts
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url
from mediagate.engine import repository as engine_repo
from mediagate.engine.repository import ClaimedTask

BACKENDS = ["sqlite", "postgresql"]


async def _claimed(db: Database, count: int) -> list[ClaimedTask]:
    provider = f"fast{secrets.token_hex(3)}"
    account = await accounts.create_key(db, account=f"fast-{provider}")
    await insert_tasks(db, account.account_id, count, provider=provider)
    async with db.write() as conn:
        await conn.execute(update(tasks).where(tasks.c.provider == provider).values(run_at=0))
    return await engine_repo.claim(
        db, token_prefix="w_fast", now=now_us(), lease_us=10**8, limit=count,
        rooms={provider: count},
    )  # fmt: skip


async def _progress(db: Database, task_ids: list[str]) -> dict[str, int]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(tasks.c.id, tasks.c.progress).where(tasks.c.id.in_(task_ids))
        )
        return {task_id: progress for task_id, progress in rows}


def _run(database_urls, backend: str, scenario) -> None:
    url = parse_database_url(database_urls(backend))  # migrates (outside the loop)

    async def main() -> None:
        db = Database(url)
        await db.open()
        try:
            await scenario(db)
        finally:
            await db.close()

    asyncio.run(main())


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_writes_each_get_their_own_answer(database_urls, backend):
    """100 steps end at once; a third of them lost their lease (another worker holds the
    task now). Those writes are refused, every other one lands with its own value."""

    async def scenario(db: Database) -> None:
        claimed = await _claimed(db, 100)
        lost = {task.id for task in claimed[::3]}
        async with db.write() as conn:
            await conn.execute(
                update(tasks).where(tasks.c.id.in_(lost)).values(lease_owner="someone else")
            )
        answers = await asyncio.gather(
            *(engine_repo.update_active(db, t, {"progress": i}) for i, t in enumerate(claimed))
        )
        assert answers == [task.id not in lost for task in claimed]
        stored = await _progress(db, [task.id for task in claimed])
        assert stored == {t.id: (0 if t.id in lost else i) for i, t in enumerate(claimed)}

    _run(database_urls, backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bad_write_fails_alone(database_urls, backend):
    """A write the database refuses (NULL into a NOT NULL column) raises for its own caller;
    the writes sent with it still land."""

    async def scenario(db: Database) -> None:
        claimed = await _claimed(db, 20)
        bad = claimed[7]
        results = await asyncio.gather(
            *(
                engine_repo.update_active(
                    db, t, {"progress": 42, "attempts": None if t is bad else 1}
                )
                for t in claimed
            ),
            return_exceptions=True,
        )
        assert isinstance(results[7], Exception)
        assert results[:7] + results[8:] == [True] * 19
        stored = await _progress(db, [task.id for task in claimed])
        assert stored == {t.id: (0 if t is bad else 42) for t in claimed}

    _run(database_urls, backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_writes_to_one_row_apply_in_order(database_urls, backend):
    """Writes of one task sent at once (of the same columns or not) all succeed, in the
    order they were made: the last one wins."""

    async def scenario(db: Database) -> None:
        [task, other] = await _claimed(db, 2)
        answers = await asyncio.gather(
            engine_repo.update_leased(db, task, {"progress": 10}),
            engine_repo.update_leased(db, other, {"progress": 5}),
            engine_repo.update_leased(db, task, {"progress": 20, "attempts": 1}),
            engine_repo.update_leased(db, task, {"progress": 30}),
            engine_repo.extend_lease(db, task, now_us() + 10**8),
            engine_repo.update_leased(db, task, {"progress": 40, "attempts": 2}),
            engine_repo.update_leased(db, other, {"progress": 6}),
        )
        assert answers == [True] * 7
        assert await _progress(db, [task.id, other.id]) == {task.id: 40, other.id: 6}

    _run(database_urls, backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_writes_never_move_a_task_backwards(database_urls, backend):
    """Whatever a step asks, alone or batched with other steps' writes: the status never goes
    back to an earlier one and the progress never decreases (the contract); the rest of the
    write lands."""

    async def scenario(db: Database) -> None:
        claimed = await _claimed(db, 20)
        alone = await engine_repo.update_active(
            db, claimed[0], {"status": "running", "progress": 50}
        )
        assert alone is True
        await asyncio.gather(
            *(engine_repo.update_active(db, t, {"status": "running", "progress": 50})
              for t in claimed[1:])
        )  # fmt: skip
        asked = [("pending", 0), ("queued", 10), ("running", 40), ("running", 70)] * 5
        answers = await asyncio.gather(
            *(engine_repo.update_active(db, t, {"status": s, "progress": p, "attempts": 3})
              for t, (s, p) in zip(claimed, asked, strict=True))
        )  # fmt: skip
        assert answers == [True] * 20
        async with db.read() as conn:
            rows = await conn.execute(
                select(tasks.c.id, tasks.c.status, tasks.c.progress, tasks.c.attempts).where(
                    tasks.c.id.in_([t.id for t in claimed])
                )
            )
            stored = {row[0]: tuple(row[1:]) for row in rows}
        assert stored == {
            t.id: ("running", max(50, p), 3) for t, (_, p) in zip(claimed, asked, strict=True)
        }
        # Forward moves still land: a final status, and 100 %.
        assert await engine_repo.update_active(
            db, claimed[0], {"status": "succeeded", "progress": 100}
        )
        async with db.read() as conn:
            row = (
                await conn.execute(
                    select(tasks.c.status, tasks.c.progress).where(tasks.c.id == claimed[0].id)
                )
            ).one()
        assert tuple(row) == ("succeeded", 100)

    _run(database_urls, backend, scenario)
