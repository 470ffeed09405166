"""Listing totals come from per-day counts kept by triggers: they must equal a plain count."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import func, select, text, update

from helpers import insert_tasks
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import COUNT_DAY_US, task_count_deltas, tasks
from mediagate.db.urls import parse_database_url
from mediagate.tasks import housekeeping, repository
from mediagate.tasks.repository import ListFilters

DAY = COUNT_DAY_US
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
HOUR = 3_600_000_000


@pytest.fixture
def spread(caller):
    """Tasks over four days, several statuses and models, some changed after creation; and a
    few sandbox tasks, counted apart (never in the live key's totals)."""
    live, account = caller.live, caller.key.account_id
    made = []
    for day, (status, model, task_type) in itertools.product(
        range(4),
        [
            ("pending", "local-image", "image"),
            ("succeeded", "local-image", "image"),
            ("failed", "local-video", "video"),
            ("succeeded", "local-3d", "model3d"),
        ],
    ):
        made += live.run(
            insert_tasks(
                live.db, account, 3, created_at=T0 + day * DAY + 5 * HOUR, step_us=6 * HOUR,
                status=status, model=model, task_type=task_type,
            )
        )  # fmt: skip
    for day, status in itertools.product((1, 2), ("pending", "succeeded")):
        live.run(
            insert_tasks(
                live.db, account, 2, created_at=T0 + day * DAY + 7 * HOUR, step_us=8 * HOUR,
                status=status, sandbox=True,
            )
        )  # fmt: skip
    return live, account, made


def _filters() -> list[ListFilters]:
    ranges = [
        (None, None),
        (T0 + DAY, None),
        (None, T0 + 2 * DAY),
        (T0 + DAY + 7 * HOUR, T0 + 3 * DAY + HOUR),  # partial days at both edges
        (T0 + 12 * HOUR, T0 + 13 * HOUR + 1),  # within one day
        (T0 + 20 * HOUR, T0 + DAY + 20 * HOUR),  # across one boundary, no whole day
        (T0 + 9 * DAY, None),  # nothing there
    ]
    out = []
    for (lo, hi), status, model in itertools.product(
        ranges, [None, "pending", "succeeded", "cancelled"], [None, "local-image", "local-3d"]
    ):
        out.append(ListFilters(status=status, model=model, created_from=lo, created_before=hi))
    out += [ListFilters(provider="local"), ListFilters(provider="kling")]
    return out


def _check_all(live, account) -> int:
    """Compare every filter's total with a plain count; returns how many were compared."""

    async def run() -> int:
        async with live.db.read() as conn:
            for f, sandbox in itertools.product(_filters(), (False, True)):
                exact = await repository._count_rows(conn, account, sandbox, f)
                assert await repository.count(conn, account, sandbox, f) == exact, (f, sandbox)
        return len(_filters())

    return live.run(run())


def test_totals_match_a_plain_count_before_and_after_compaction(spread):
    live, account, _made = spread
    assert _check_all(live, account) == 86
    live.run(housekeeping.compact_counts(live.db))
    _check_all(live, account)


def test_status_changes_move_counts(spread, caller):
    live, account, made = spread
    pending = [t for t in made if t in made[:3] or t in made[12:15]]
    for task_id in pending:
        assert caller.http.post(f"/api/v1/tasks/{task_id}/cancel").status_code == 200
    r = caller.http.get("/api/v1/tasks", params={"status": "cancelled"})
    assert r.json()["pagination"]["total"] == len(pending)
    r = caller.http.get("/api/v1/tasks", params={"status": "pending"})
    assert r.json()["pagination"]["total"] == 12 - len(pending)
    _check_all(live, account)

    async def retag() -> None:  # a change of model (not done by the API) is counted too
        async with live.db.write() as conn:
            await conn.execute(
                update(tasks).where(tasks.c.id == made[5]).values(model="local-music")
            )

    live.run(retag())
    live.run(housekeeping.compact_counts(live.db))
    _check_all(live, account)


def test_compaction_empties_the_deltas_and_keeps_every_total(spread, caller):
    live, account, _ = spread
    before = caller.http.get("/api/v1/tasks", params={"status": "succeeded"}).json()
    live.run(housekeeping.compact_counts(live.db))

    async def pending_deltas() -> int:
        async with live.db.read() as conn:
            return await conn.scalar(
                select(func.count()).where(task_count_deltas.c.account_id == account)
            )

    assert live.run(pending_deltas()) == 0
    after = caller.http.get("/api/v1/tasks", params={"status": "succeeded"}).json()
    assert after["pagination"]["total"] == before["pagination"]["total"] == 24


def test_concurrent_compactors_never_count_twice(spread):
    live, account, _ = spread

    async def race() -> None:
        await asyncio.gather(*(housekeeping.compact_counts(live.db) for _ in range(4)))

    live.run(race())
    _check_all(live, account)


def test_upgrade_counts_tasks_that_existed_before_the_counts(empty_database):
    url = parse_database_url(empty_database)
    upgrade(url, "0001")

    async def seed_and_compare() -> None:
        db = Database(url)
        try:
            async with db.write() as conn:
                await conn.execute(text("INSERT INTO accounts VALUES ('acct_old', 'old', 0)"))
            await insert_tasks(db, "acct_old", 7, created_at=T0, step_us=DAY // 3)
            await insert_tasks(db, "acct_old", 5, created_at=T0, status="succeeded")
        finally:
            await db.close()
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            async with db.read() as conn:
                for f in [ListFilters(), ListFilters(status="succeeded"),
                          ListFilters(created_from=T0 + DAY)]:  # fmt: skip
                    exact = await repository._count_rows(conn, "acct_old", False, f)
                    assert exact > 0
                    assert await repository.count(conn, "acct_old", False, f) == exact
        finally:
            await db.close()

    asyncio.run(seed_and_compare())
