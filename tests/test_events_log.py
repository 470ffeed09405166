"""The event log: one event per visible change, in the change's transaction, read in order as
pages that never skip or repeat an event, also when transactions commit out of order."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading

import asyncpg
import pytest

from helpers import error_of, insert_tasks
from mediagate.core.clock import now_us
from mediagate.engine import repository as engine_repository
from mediagate.engine.repository import ClaimedTask
from mediagate.events import ids


def _events(http, **params) -> list[dict]:
    """Every event of the caller's account, following cursors page by page."""
    out: list[dict] = []
    after = params.pop("after", None)
    while True:
        query = {**params, **({"after": after} if after else {})}
        r = http.get("/api/v1/events", params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["data"]
        assert set(body["pagination"]) == {"cursor", "hasMore", "total"}
        if not body["pagination"]["hasMore"]:
            return out
        after = body["pagination"]["cursor"]
        assert after == body["data"][-1]["id"]


def _set(live, task_id: str, **values) -> None:
    """A plain UPDATE of a task, as any writer of the store would make it."""
    from sqlalchemy import update

    from mediagate.db.tables import tasks

    async def run() -> None:
        async with live.db.write() as conn:
            await conn.execute(update(tasks).where(tasks.c.id == task_id).values(**values))

    live.run(run())


def _timeline(http, task_id: str) -> list[dict]:
    r = http.get(f"/api/v1/tasks/{task_id}/events")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_every_visible_change_is_one_event_with_the_task_as_it_was(caller):
    live = caller.live
    [task_id] = live.run(insert_tasks(live.db, caller.key.account_id, 1))
    _set(live, task_id, status="queued", queue_position=4, updated_at=now_us())
    _set(live, task_id, lease_owner="w:1", attempts=2, run_at=now_us())  # bookkeeping only
    _set(live, task_id, status="running", progress=10, queue_position=-1, started_at=now_us())
    _set(live, task_id, status="failed", error_code="PROVIDER_ERROR", error_message="boom",
         completed_at=now_us())  # fmt: skip

    timeline = _timeline(caller.http, task_id)
    assert [e["type"] for e in timeline] == [
        "task.created", "task.queued", "task.running", "task.failed",
    ]  # fmt: skip
    assert [e["data"]["status"] for e in timeline] == ["pending", "queued", "running", "failed"]
    assert timeline[1]["data"]["queue_position"] == 4
    assert timeline[2]["data"]["progress"] == 10 and timeline[2]["data"]["started_at"]
    assert timeline[3]["data"]["error"] == {"code": "PROVIDER_ERROR", "message": "boom"}
    for event in timeline:
        assert set(event) == {"id", "type", "created_at", "data"}
        assert event["id"].startswith("evt_") and event["data"]["id"] == task_id
        assert event["data"]["input"] == {"prompt": "p0"} and event["data"]["sandbox"] is False
    assert [e["id"] for e in timeline] == sorted(e["id"] for e in timeline)


def test_progress_events_are_throttled_to_about_one_a_second(caller):
    live = caller.live
    [task_id] = live.run(insert_tasks(live.db, caller.key.account_id, 1, status="running"))
    for pct in range(1, 30):
        _set(live, task_id, progress=pct)
    kinds = [e["type"] for e in _timeline(caller.http, task_id)]
    # the first change may follow task.created by a second; all 29 changes took far less
    assert kinds.count("task.progress") <= 1, kinds
    _set(live, task_id, status="succeeded", progress=100, completed_at=now_us())
    assert _timeline(caller.http, task_id)[-1]["type"] == "task.succeeded"  # never throttled


def test_a_write_that_lost_its_lease_writes_no_event(caller):
    live = caller.live
    [task_id] = live.run(insert_tasks(live.db, caller.key.account_id, 1))
    _set(live, task_id, lease_owner="w:current", lease_expires_at=now_us() + 60_000_000)
    stale = ClaimedTask(
        task_id, caller.key.account_id, 0, "image", "local-image", "local", "pending", "{}", 0,
        None, None, None, 0, None, 0, now_us(), None, None, lease="w:stale",
    )  # fmt: skip
    wrote = live.run(
        engine_repository.update_active(live.db, stale, {"status": "queued", "progress": 5})
    )
    assert wrote is False
    assert [e["type"] for e in _timeline(caller.http, task_id)] == ["task.created"]
    current = dataclasses.replace(stale, lease="w:current")
    assert live.run(engine_repository.update_active(live.db, current, {"status": "queued"}))
    assert [e["type"] for e in _timeline(caller.http, task_id)] == ["task.created", "task.queued"]


def test_account_events_page_in_order_with_filters_and_isolation(caller, other):
    live = caller.live
    mine = live.run(insert_tasks(live.db, caller.key.account_id, 3))
    live.run(insert_tasks(live.db, other.key.account_id, 2))
    for task_id in mine:
        _set(live, task_id, status="succeeded", progress=100, completed_at=now_us())
    events = _events(caller.http, limit=2)
    assert [e["data"]["id"] for e in events] == [*mine, *mine]
    assert [e["type"] for e in events] == ["task.created"] * 3 + ["task.succeeded"] * 3
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert len({e["id"] for e in events}) == 6

    first = caller.http.get("/api/v1/events", params={"limit": 1}).json()
    assert first["pagination"]["total"] == 6 and first["pagination"]["hasMore"] is True
    rest = _events(caller.http, after=events[2]["id"])
    assert [e["id"] for e in rest] == [e["id"] for e in events[3:]]
    done = _events(caller.http, types="task.succeeded,task.failed")
    assert [e["id"] for e in done] == [e["id"] for e in events[3:]]

    # Another account sees none of these; a sandbox key of the same account none either.
    assert {e["data"]["id"] for e in _events(other.http)}.isdisjoint(mine)
    sandbox_key = live.new_key(test=True, account=caller.key.account_name)
    with live.client(sandbox_key.secret) as sandbox:
        assert _events(sandbox) == []
        r = sandbox.get(f"/api/v1/tasks/{mine[0]}/events")
        assert r.status_code == 404 and error_of(r)["code"] == "TASK_NOT_FOUND"
    r = other.http.get(f"/api/v1/tasks/{mine[0]}/events")
    assert r.status_code == 404 and error_of(r)["code"] == "TASK_NOT_FOUND"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"after": "evt_nope"}, "after"),
        ({"after": "evt_" + "f" * 32}, "after"),
        ({"types": "task.created,task.exploded"}, "types"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
    ],
)
def test_bad_event_queries_name_the_parameter(caller, params, param):
    r = caller.http.get("/api/v1/events", params=params)
    assert r.status_code == 400, r.text
    assert error_of(r)["message"].startswith(f"{param}:")


def test_an_event_id_round_trips_and_sorts_in_log_order():
    positions = [(0, 1), (0, 2), (5, 1), (5, 10), (2**40, 3)]
    encoded = [ids.encode(p) for p in positions]
    assert encoded == sorted(encoded)
    assert [ids.decode(e, "after") for e in encoded] == positions


def _out_of_order_writer(dsn: str, x: str, y: str, older_first: bool, committed, release):
    """Commit task y's change while an open transaction holds task x's, written first."""

    async def run() -> None:
        a, b = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        try:
            ta, tb = a.transaction(), b.transaction()
            await tb.start()
            if older_first:  # b takes its transaction id before a does
                await b.fetchval("SELECT pg_current_xact_id()")
            await ta.start()
            await a.execute("UPDATE tasks SET status = 'queued' WHERE id = $1", x)
            await b.execute("UPDATE tasks SET status = 'queued' WHERE id = $1", y)
            await tb.commit()
            committed.set()
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 20)
            await ta.commit()
        finally:
            await a.close()
            await b.close()

    return run()


@pytest.mark.parametrize("older_first", [False, True], ids=["younger-first", "older-first"])
def test_commits_out_of_order_are_never_skipped(caller, older_first):
    """Task x's event is written first (lower seq) but commits last. A reader paging meanwhile
    must neither skip x's event nor repeat y's."""
    live = caller.live
    x, y = live.run(insert_tasks(live.db, caller.key.account_id, 2))
    cursor = _events(caller.http)[-1]["id"]
    if live.backend == "sqlite":
        # One writer at a time: a second write waits for the open one, so seq is commit order.
        path = str(live.database.sqlite_path)
        a, b = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, timeout=0.2)
        try:
            a.execute("BEGIN IMMEDIATE")
            a.execute("UPDATE tasks SET status = 'queued' WHERE id = ?", (x,))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                b.execute("UPDATE tasks SET status = 'queued' WHERE id = ?", (y,))
            a.execute("COMMIT")
        finally:
            a.close()
            b.close()
        assert [e["data"]["id"] for e in _events(caller.http, after=cursor)] == [x]
        return
    committed, release = threading.Event(), threading.Event()
    writer = asyncio.run_coroutine_threadsafe(
        _out_of_order_writer(live.url, x, y, older_first, committed, release), live.loop.loop
    )
    try:
        assert committed.wait(10)
        # y's change is committed, x's is not. y's event may be handed out only when no
        # transaction that could still write an earlier place in the log is open.
        meanwhile = _events(caller.http, after=cursor)
        assert [e["data"]["id"] for e in meanwhile] == ([y] if older_first else [])
        if meanwhile:
            cursor = meanwhile[-1]["id"]
    finally:
        release.set()
        writer.result(20)
    after = _events(caller.http, after=cursor)
    got = [(e["data"]["id"], e["type"]) for e in [*meanwhile, *after]]
    assert sorted(got) == sorted([(x, "task.queued"), (y, "task.queued")]), got

    async def seqs() -> dict[str, int]:
        conn = await asyncpg.connect(live.url)
        try:
            rows = await conn.fetch(
                "SELECT task_id, seq FROM task_events WHERE type = 'task.queued' "
                "AND task_id = ANY($1::text[])",
                [x, y],
            )
            return {r["task_id"]: r["seq"] for r in rows}
        finally:
            await conn.close()

    order = live.run(seqs())
    assert order[x] < order[y]  # the scenario happened: x's event written first, committed last
