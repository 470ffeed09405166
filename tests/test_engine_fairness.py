"""Fair claims between accounts, per-account concurrency limits and the queue position, on both
databases. Claims are counted, never timed: each test calls the engine's claim as a worker does,
on a provider of its own (so other tests' tasks never take part), and plays the steps' part by
writing the claimed tasks' outcome."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from helpers import engine_settings, serve_app, wait_for
from mediagate.accounts import limits
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url
from mediagate.engine import repository as engine_repo
from mediagate.engine.repository import ClaimedTask
from mediagate.tasks import repository as tasks_repo
from scripted_provider import read_calls

BACKENDS = ["sqlite", "postgresql"]
LONG_AGO = 1_000_000  # due times in the past, spaced 10 µs apart in order of creation


def _run(database_urls, backend: str, scenario: Callable[[Database], Awaitable[Any]]) -> Any:
    url = parse_database_url(database_urls(backend))  # migrates (outside the loop)

    async def main() -> Any:
        db = Database(url)
        await db.open()
        try:
            return await scenario(db)
        finally:
            await db.close()

    return asyncio.run(main())


def _provider() -> str:
    return f"fair{secrets.token_hex(4)}"


async def _account(db: Database, share: int | None = None, concurrency: int | None = None) -> str:
    key = await accounts.create_key(db, account=f"fair-{secrets.token_hex(5)}")
    if share is not None or concurrency is not None:
        await limits.set_limits(db, key.account_name, concurrency=concurrency, share=share)
    return key.account_id


async def _queue(db: Database, account_id: str, provider: str, count: int, at: int) -> list[str]:
    """`count` pending tasks due at `at`, `at + 10`, ... (as the API makes them, in one go)."""
    rows = [
        {
            "id": new_id("task"), "account_id": account_id, "key_id": "key_fair",
            "type": "image", "model": "local-image", "provider": provider, "status": "pending",
            "input": jsonutil.dumps({"prompt": f"p{i}"}), "metadata": "{}", "timeout_s": 300,
            "created_at": at + 10 * i, "updated_at": at + 10 * i, "run_at": at + 10 * i,
        }
        for i in range(count)
    ]  # fmt: skip
    async with db.write() as conn:
        await conn.execute(tasks.insert(), rows)
    return [row["id"] for row in rows]


async def _claim(db: Database, provider: str, room: int, cap: int = 0) -> list[ClaimedTask]:
    """One claim cycle of a worker with `room` free slots for `provider`."""
    return await engine_repo.claim(
        db, token_prefix=f"w_{secrets.token_hex(3)}", now=now_us(), lease_us=10**8,
        limit=room, rooms={provider: room}, default_concurrency=cap,
    )  # fmt: skip


async def _finish(db: Database, claimed: Sequence[ClaimedTask]) -> None:
    """The steps ran and the tasks ended: succeeded, nothing left to do."""
    async with db.write() as conn:
        await conn.execute(
            update(tasks)
            .where(tasks.c.id.in_([t.id for t in claimed]))
            .values(status="succeeded", run_at=None, lease_owner=None, lease_expires_at=None)
        )


async def _submit(db: Database, claimed: Sequence[ClaimedTask]) -> None:
    """The submits went through: the jobs run at the provider (next poll far ahead)."""
    async with db.write() as conn:
        await conn.execute(
            update(tasks)
            .where(tasks.c.id.in_([t.id for t in claimed]))
            .values(
                status="queued", provider_job_id="job", submit_started_at=1,
                run_at=now_us() + 10**10, lease_owner=None, lease_expires_at=None,
            )
        )  # fmt: skip


async def _statuses(db: Database, provider: str) -> Counter[str]:
    async with db.read() as conn:
        rows = await conn.execute(select(tasks.c.status).where(tasks.c.provider == provider))
        return Counter(status for (status,) in rows)


# -- fair claims ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("room", [1, 8])
def test_one_accounts_flood_delays_anothers_task_by_a_claim_at_most(database_urls, backend, room):
    """A queues 2,000 tasks and its work flows; then B queues one. B's task is claimed within
    two claim cycles, whether a worker claims one task at a time or eight (by due time alone
    it would wait for all 2,000)."""

    async def scenario(db: Database) -> tuple[int, int]:
        provider = _provider()
        a, b = await _account(db), await _account(db)
        await _queue(db, a, provider, 2000, LONG_AGO)
        for _ in range(5):
            claimed = await _claim(db, provider, room)
            assert {t.account_id for t in claimed} == {a} and len(claimed) == room
            await _finish(db, claimed)
        [b_task] = await _queue(db, b, provider, 1, now_us())
        for cycle in range(1, 50):
            claimed = await _claim(db, provider, room)
            await _finish(db, claimed)
            if b_task in {t.id for t in claimed}:
                return cycle, len(claimed)
        raise AssertionError("B's task was not claimed in 50 cycles")

    cycle, claimed = _run(database_urls, backend, scenario)
    assert cycle <= 2
    assert claimed == room  # the cycle that took B's task filled the room (with A's)


@pytest.mark.parametrize("backend", BACKENDS)
def test_accounts_get_turns_in_proportion_to_their_shares(database_urls, backend):
    """A (share 3) and B (share 1) both have a backlog: claims of one task at a time, and one
    claim of eight, give A three turns for each of B's."""

    async def scenario(db: Database) -> tuple[Counter[str], Counter[str]]:
        provider = _provider()
        a, b = await _account(db, share=3), await _account(db)
        await _queue(db, a, provider, 100, LONG_AGO)
        await _queue(db, b, provider, 100, LONG_AGO + 5)
        names = {a: "A", b: "B"}
        one_by_one: Counter[str] = Counter()
        for _ in range(40):
            claimed = await _claim(db, provider, 1)
            one_by_one.update(names[t.account_id] for t in claimed)
            await _finish(db, claimed)
        batch = await _claim(db, provider, 8)
        return one_by_one, Counter(names[t.account_id] for t in batch)

    one_by_one, batch = _run(database_urls, backend, scenario)
    assert abs(one_by_one["A"] - 30) <= 1 and one_by_one["A"] + one_by_one["B"] == 40
    assert batch == {"A": 6, "B": 2}


@pytest.mark.parametrize("backend", BACKENDS)
def test_claims_follow_the_queue_positions(database_urls, backend):
    """Three accounts (shares 1, 2, 1) with tasks due at interleaved times: the positions of
    their 13 pending tasks are 0..12, and claims one at a time take them in that order."""

    async def scenario(db: Database) -> tuple[list[str], list[tuple[int, str]]]:
        provider = _provider()
        a, b, c = await _account(db), await _account(db, share=2), await _account(db)
        owner = {}
        for account, count, at in ((a, 6, LONG_AGO), (b, 4, LONG_AGO + 3), (c, 3, LONG_AGO + 7)):
            owner |= dict.fromkeys(await _queue(db, account, provider, count, at), account)
        async with db.read() as conn:
            positions = [
                ((await tasks_repo.get(conn, account, False, task_id))[6], task_id)
                for task_id, account in owner.items()
            ]
        order = []
        for _ in owner:
            [claimed] = await _claim(db, provider, 1)
            order.append(claimed.id)
        return order, sorted(positions)

    order, positions = _run(database_urls, backend, scenario)
    assert [p for p, _ in positions] == list(range(13))
    assert order == [task_id for _, task_id in positions]


# -- concurrency limits --------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_account_never_has_more_than_its_limit_in_flight(database_urls, backend):
    """A's limit is 3: a claim with room for 10 leases 3; while they are being submitted and
    then run at the provider, claims take none of A's (they stay pending, nothing fails); each
    task that ends lets exactly one more start; B (no limit of its own, the default of 2) is
    served meanwhile; in the end every task was submitted."""

    async def scenario(db: Database) -> None:
        provider = _provider()
        a, b = await _account(db, concurrency=3), await _account(db)
        await _queue(db, a, provider, 12, LONG_AGO)
        await _queue(db, b, provider, 4, LONG_AGO + 5)
        first = await _claim(db, provider, 10, cap=2)
        assert Counter(t.account_id for t in first) == {a: 3, b: 2}
        assert await _claim(db, provider, 10, cap=2) == []  # leased for their submits: in flight
        await _submit(db, first)
        assert await _claim(db, provider, 10, cap=2) == []  # running at the provider
        assert await _statuses(db, provider) == {"pending": 11, "queued": 5}
        a_first = [t for t in first if t.account_id == a]
        await _finish(db, a_first[:1])
        [next_one] = await _claim(db, provider, 10, cap=2)
        assert next_one.account_id == a and next_one.status == "pending"
        in_flight = [next_one, *a_first[1:], *(t for t in first if t.account_id == b)]
        while in_flight:  # jobs end one by one; nothing ever goes past the limits
            await _finish(db, in_flight[:1])
            in_flight = in_flight[1:] + await _claim(db, provider, 10, cap=2)
            per_account = Counter(t.account_id for t in in_flight)
            assert per_account[a] <= 3 and per_account[b] <= 2
        assert await _statuses(db, provider) == {"succeeded": 16}

    _run(database_urls, backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_limit_of_an_account_wins_over_the_default(database_urls, backend):
    async def scenario(db: Database) -> int:
        provider = _provider()
        a = await _account(db, concurrency=0)
        await _queue(db, a, provider, 12, LONG_AGO)
        return len(await _claim(db, provider, 10, cap=2))

    assert _run(database_urls, backend, scenario) == 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_limit_holds_across_concurrent_claims_of_several_workers(database_urls, backend):
    """Six workers (each its own connection pool, as six processes have) claim at once with
    room for 10 each: together they lease exactly A's limit of 4, and after two tasks end,
    exactly two more."""
    url = parse_database_url(database_urls(backend))

    async def claim_together(dbs: list[Database], provider: str) -> list[ClaimedTask]:
        claims = await asyncio.gather(*(_claim(db, provider, 10) for db in dbs))
        return [task for claimed in claims for task in claimed]

    async def main() -> tuple[int, int, int]:
        dbs = [Database(url) for _ in range(6)]
        for db in dbs:
            await db.open()
        try:
            provider = _provider()
            a = await _account(dbs[0], concurrency=4)
            await _queue(dbs[0], a, provider, 40, LONG_AGO)
            first = await claim_together(dbs, provider)
            await _finish(dbs[0], first[:2])
            second = await claim_together(dbs, provider)
            third = await claim_together(dbs, provider)
            return len(first), len(second), len(third)
        finally:
            for db in dbs:
                await db.close()

    assert asyncio.run(main()) == (4, 2, 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_does_not_wake_for_tasks_waiting_on_their_accounts_limit(database_urls, backend):
    """A is at its limit with due tasks waiting: the next due time a worker sleeps until is
    its running job's next poll, not the waiting tasks' (which would make it spin)."""

    async def scenario(db: Database) -> tuple[int | None, int]:
        provider = _provider()
        a = await _account(db, concurrency=1)
        await _queue(db, a, provider, 5, LONG_AGO)
        claimed = await _claim(db, provider, 10)
        await _submit(db, claimed)
        async with db.read() as conn:
            due = await engine_repo.next_due(conn, [provider])
            poll = await conn.scalar(select(tasks.c.run_at).where(tasks.c.id == claimed[0].id))
        return due, poll

    due, poll = _run(database_urls, backend, scenario)
    assert due == poll


# -- queue position ------------------------------------------------------------------------


def _positions(http, task_ids: Sequence[str]) -> list[int]:
    return [http.get(f"/api/v1/tasks/{i}").json()["data"]["queue_position"] for i in task_ids]


def test_queue_positions_follow_the_fair_order(live):
    """A queued 300 tasks, then B two: B's tasks are near the front (not behind A's 300), A's
    last is behind B's two; the task lookup and the listing agree. With a share of 2, B's
    second task moves up one."""
    provider = _provider()
    a, b = live.new_key(), live.new_key()
    a_ids = live.run(_queue(live.db, a.account_id, provider, 300, LONG_AGO))
    b_ids = live.run(_queue(live.db, b.account_id, provider, 2, LONG_AGO + 10_000))
    with live.client(a.secret) as http_a, live.client(b.secret) as http_b:
        assert _positions(http_b, b_ids) == [1, 3]
        assert _positions(http_a, a_ids[:3] + a_ids[-2:]) == [0, 2, 4, 300, 301]
        listed = http_a.get("/api/v1/tasks", params={"limit": 2}).json()["data"]
        assert [(t["id"], t["queue_position"]) for t in listed] == [
            (a_ids[-1], 301),
            (a_ids[-2], 300),
        ]
        live.run(limits.set_limits(live.db, b.account_name, share=2))
        assert _positions(http_b, b_ids) == [1, 2]


# -- the engine, end to end ----------------------------------------------------------------


def test_the_engine_keeps_an_account_to_its_limit_at_the_provider(empty_database, tmp_path):
    """With MEDIAGATE_ACCOUNT_CONCURRENCY=2, six tasks created at once all succeed (none is
    refused), and the provider's own log shows no more than two of them in flight at once:
    from a task's submit to the poll that saw it finished."""
    url = empty_database
    upgrade(parse_database_url(url))
    settings = engine_settings(url, tmp_path, account_concurrency=2)
    server, thread, base_url = serve_app(create_app(settings))
    try:
        key = asyncio.run(_new_key(settings))
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as http:
            tag = secrets.token_hex(3)
            created = [
                http.post("/api/v1/tasks", json=_scripted(f"limit {i} {tag} queue:0.1 run:0.2"))
                for i in range(6)
            ]
            assert [r.status_code for r in created] == [202] * 6
            done = [wait_for(http, r.json()["data"]["id"]) for r in created]
    finally:
        server.should_exit = True
        thread.join(15)
    assert [t["status"] for t in done] == ["succeeded"] * 6
    spans = _provider_spans(read_calls(tmp_path / "scripted"), [t["id"] for t in done])
    assert max(sum(s <= start <= e for s, e in spans) for start, _ in spans) <= 2


async def _new_key(settings: Settings) -> str:
    db = Database(settings.database)
    try:
        return (await accounts.create_key(db, account="limited")).secret
    finally:
        await db.close()


def _scripted(prompt: str) -> dict[str, Any]:
    return {"type": "image", "model": "scripted-image", "input": {"prompt": prompt}}


def _provider_spans(calls: list[dict[str, Any]], task_ids: list[str]) -> list[tuple[float, float]]:
    """Per task, from its submit to its last call (the poll that saw it finished)."""
    spans = []
    for task_id in task_ids:
        mine = [c for c in calls if c["task"] == task_id]
        [submit] = [c["t"] for c in mine if c["call"] == "submit"]
        spans.append((submit, max(c["t"] for c in mine)))
    return spans
