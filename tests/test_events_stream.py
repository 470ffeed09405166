"""Live event streams (SSE) of a task and of an account, on both databases, with the engine in
the same process: what they send, how they end, how they resume, what they refuse."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import event

from helpers import error_of, serve_app, wait_for
from mediagate.api import create_app
from mediagate.config import Settings
from sse_support import Collector, messages, stream_events


def _scripted(http: httpx.Client, prompt: str) -> str:
    body = {"type": "image", "model": "scripted-image", "input": {"prompt": prompt}}
    r = http.post("/api/v1/tasks", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def _timeline(http: httpx.Client, task_id: str) -> list[dict]:
    r = http.get(f"/api/v1/tasks/{task_id}/events")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _finished(got, task_id: str) -> bool:
    return any(m.event == "task.succeeded" and m.json["data"]["id"] == task_id for m in got)


def _check_messages(got) -> None:
    for m in got:
        event = m.json
        assert m.id == event["id"] and m.event == event["type"]


def test_a_task_stream_follows_the_task_to_its_end_and_closes(engine_live):
    with engine_live.client() as http:
        task_id = _scripted(http, "stream queue:0.3 run:1.5")
        got = stream_events(http, f"/api/v1/tasks/{task_id}/stream")
        timeline = _timeline(http, task_id)
    _check_messages(got)
    ids = [m.id for m in got]
    start = [e["id"] for e in timeline].index(ids[0])
    assert ids == [e["id"] for e in timeline[start:]]  # exactly the log, from the current state
    kinds = [m.event for m in got]
    assert kinds[-1] == "task.succeeded" and "task.running" in kinds
    final = got[-1].json["data"]
    assert final["status"] == "succeeded" and final["result"][0]["url"].startswith("http")
    progress = [m.json["data"]["progress"] for m in got]
    assert progress == sorted(progress)


def test_a_resumed_task_stream_gives_exactly_the_rest_of_the_log(engine_live):
    with engine_live.client() as http:
        task_id = _scripted(http, "resume queue:0.2 run:1.2")
        wait_for(http, task_id)
        timeline = [e["id"] for e in _timeline(http, task_id)]
        assert len(timeline) >= 4
        path = f"/api/v1/tasks/{task_id}/stream"
        for i, event_id in enumerate(timeline[:-1]):
            got = stream_events(http, path, headers={"Last-Event-ID": event_id})
            assert [m.id for m in got] == timeline[i + 1 :]
        assert [m.id for m in stream_events(http, path, params={"after": timeline[1]})] == (
            timeline[2:]
        )
        # After the final event there is nothing more: the stream ends at once, empty.
        assert stream_events(http, path, headers={"Last-Event-ID": timeline[-1]}) == []
        # Without a position, a finished task's stream is its final event alone.
        assert [m.id for m in stream_events(http, path)] == [timeline[-1]]


def test_streams_refuse_like_every_route(engine_live):
    with engine_live.client() as http:
        task_id = _scripted(http, "refusals")
        wait_for(http, task_id)
        r = httpx.get(f"{engine_live.base_url}/api/v1/tasks/{task_id}/stream")
        assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
        r = http.get("/api/v1/tasks/task_doesnotexistatallxxxxxx/stream")
        assert r.status_code == 404 and error_of(r)["code"] == "TASK_NOT_FOUND"
        r = http.get(f"/api/v1/tasks/{task_id}/stream", headers={"Last-Event-ID": "evt_x"})
        assert r.status_code == 400 and error_of(r)["message"].startswith("Last-Event-ID:")
        r = http.get("/api/v1/events/stream", params={"types": "task.nope"})
        assert r.status_code == 400 and error_of(r)["message"].startswith("types:")
        r = httpx.get(f"{engine_live.base_url}/api/v1/events/stream")
        assert r.status_code == 401


def test_the_account_stream_sends_what_happens_from_now_on(engine_live):
    with engine_live.client() as http:
        before = _scripted(http, "before the stream")
        wait_for(http, before)
        collector = Collector(http, "/api/v1/events/stream")
        try:
            assert collector.status == 200
            tasks = [_scripted(http, f"live {i} run:0.4") for i in range(3)]
            done = {f"task.succeeded:{t}" for t in tasks}
            collector.wait_for(
                lambda got: done <= {f"{m.event}:{m.json['data']['id']}" for m in got}
            )
        finally:
            collector.close()
        got = list(collector.got)
        _check_messages(got)
        assert before not in {m.json["data"]["id"] for m in got}
        for task_id in tasks:
            mine = [m.id for m in got if m.json["data"]["id"] == task_id]
            assert mine == [e["id"] for e in _timeline(http, task_id)]
        ids = [m.id for m in got]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

        # Resumed from one of them, the stream replays the log after it, then goes on live.
        page = http.get("/api/v1/events", params={"after": ids[0], "limit": 100}).json()["data"]
        resumed = Collector(http, "/api/v1/events/stream", headers={"Last-Event-ID": ids[0]})
        try:
            resumed.wait_for(lambda got: len(got) >= len(page))
            later = _scripted(http, "after resuming")
            resumed.wait_for(lambda got: _finished(got, later))
        finally:
            resumed.close()
        assert [m.id for m in resumed.got[: len(page)]] == [e["id"] for e in page]

        # A filtered stream sends only the types asked for.
        filtered = Collector(
            http, "/api/v1/events/stream", params={"types": "task.succeeded", "after": ids[0]}
        )
        try:
            filtered.wait_for(lambda got: len(got) >= 3)
        finally:
            filtered.close()
        assert {m.event for m in filtered.got} == {"task.succeeded"}


@pytest.fixture
def quiet_gateway(live, tmp_path):
    """A second API process (no engine) on `live`'s database whose streams beat every 0.2 s;
    it counts its SQL statements."""
    settings = Settings(
        database_url=live.url, data_dir=tmp_path, workers=0,
        sse_heartbeat_seconds=0.2, events_poll_seconds=0.1,
    )  # fmt: skip
    app = create_app(settings)
    server, thread, base = serve_app(app)
    statements: list[float] = []
    listener = lambda *args: statements.append(time.monotonic())  # noqa: E731
    event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield app, base, statements
    finally:
        server.should_exit = True
        thread.join(10)


def test_idle_streams_beat_and_cost_no_query_each(quiet_gateway, live):
    app, base, statements = quiet_gateway
    key = live.new_key()
    headers = {"Authorization": f"Bearer {key.secret}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        with http.stream("GET", "/api/v1/events/stream") as response:
            beats = []
            started = time.monotonic()
            for message in messages(response, comments=True):
                assert message.comment
                beats.append(time.monotonic() - started)
                if len(beats) == 3:
                    break
        assert beats[-1] < 2.0  # a comment at least every heartbeat, not only every 15 s

        def idle_window() -> int:
            time.sleep(0.3)
            mark = len(statements)
            time.sleep(1.0)
            return len(statements) - mark

        stop = threading.Event()
        readers = []

        def read_forever() -> None:
            with (
                httpx.Client(base_url=base, headers=headers, timeout=10) as own,
                own.stream("GET", "/api/v1/events/stream") as response,
            ):
                for _ in messages(response, comments=True):
                    if stop.is_set():
                        return

        def open_streams(count: int) -> None:
            for _ in range(count):
                thread = threading.Thread(target=read_forever, daemon=True)
                thread.start()
                readers.append(thread)
            deadline = time.monotonic() + 10
            while app.state.events.subscribers < len(readers):
                assert time.monotonic() < deadline, app.state.events.subscribers
                time.sleep(0.05)

        none_open = idle_window()
        open_streams(1)
        one = idle_window()
        open_streams(40)
        many = idle_window()
        stop.set()
        for thread in readers:
            thread.join(5)
    assert none_open == 0  # with no stream open the process reads no events at all
    # One reader of the log per process, whatever the number of open streams.
    assert many <= one + 5, (one, many)
    deadline = time.monotonic() + 10
    while app.state.events.subscribers:  # closed connections end their streams
        assert time.monotonic() < deadline, app.state.events.subscribers
        time.sleep(0.05)


def test_streams_are_isolated_between_accounts_and_modes(engine_live):
    async def keys() -> tuple[str, str]:
        from mediagate.accounts import service as accounts
        from mediagate.db import Database
        from mediagate.db.urls import parse_database_url

        db = Database(parse_database_url(engine_live.url))
        try:
            other = await accounts.create_key(db, account="someone-else")
            sandbox = await accounts.create_key(db, account="engine-tests", test=True)
            return other.secret, sandbox.secret
        finally:
            await db.close()

    import asyncio

    other_key, sandbox_key = asyncio.run(keys())
    base = engine_live.base_url
    with (
        engine_live.client() as http,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {other_key}"}) as other,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {sandbox_key}"}) as sandbox,
    ):
        watchers = [Collector(c, "/api/v1/events/stream") for c in (other, sandbox)]
        try:
            task_id = _scripted(http, "isolated run:0.3")
            wait_for(http, task_id)
            for client in (other, sandbox):
                r = client.get(f"/api/v1/tasks/{task_id}/stream")
                assert r.status_code == 404 and error_of(r)["code"] == "TASK_NOT_FOUND"
            # A task of the other account, finished after ours, marks that its stream kept up.
            theirs = _scripted(other, "theirs run:0.1")
            watchers[0].wait_for(lambda got: _finished(got, theirs))
        finally:
            for watcher in watchers:
                watcher.close()
    assert {m.json["data"]["id"] for m in watchers[0].got} == {theirs}
    assert watchers[1].got == []
