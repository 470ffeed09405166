"""Event streams, timelines and event pages through `Client` and `AsyncClient`, against a real
gateway with workers on SQLite and on PostgreSQL; dropped connections are cut for real by a
proxy on loopback, in the middle of an event."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from client_support import FAILING_VIDEO, CuttingProxy, Gateway, Recorder

from mediagate import (
    AsyncClient,
    Client,
    Event,
    Task,
    TaskCancelled,
    TaskFailed,
    TaskNotFound,
    WaitTimeout,
)

FINAL = {"task.succeeded", "task.failed", "task.cancelled", "task.expired"}


def _image(client: Client, render_seconds: float = 0.0) -> Task:
    """A small image; `render_seconds` makes it run (and report progress) that long."""
    return client.tasks.create(
        type="image",
        model="local-image",
        input={"prompt": "a fox", "width": 48, "height": 32, "render_seconds": render_seconds},
    )


def _seen(events: list[Event]) -> list[tuple[str, str, str, int]]:
    """What a user sees of each event (result URLs are signed anew on every read)."""
    return [(e.id, e.type, e.data.status, e.data.progress) for e in events]


def _until(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def test_task_stream_yields_exactly_the_timeline(any_gateway: Gateway) -> None:
    with any_gateway.client() as client:
        task = _image(client, render_seconds=1.5)
        with client.tasks.stream(task) as stream:
            live = list(stream)
        timeline = client.tasks.events(task)
        from_start = list(client.tasks.stream(task, after=timeline[0].id))
        again = list(client.tasks.stream(task.id))
        with pytest.raises(TaskNotFound):
            list(client.tasks.stream("task_" + "z" * 24))

    assert [e.type for e in timeline][:3] == ["task.created", "task.queued", "task.running"]
    assert timeline[-1].type == "task.succeeded" and timeline[-1].data.result
    # Live: the task's latest event when the stream opened, then every later one, in order.
    assert _seen(live) == _seen(timeline)[-len(live) :] and live[-1].is_final
    assert live[-1].data.status == "succeeded" and live[-1].data.result
    assert _seen(from_start) == _seen(timeline)[1:]  # resumed after its first event
    assert _seen(again) == _seen(timeline)[-1:]  # a finished task: its final event, then the end


def test_async_task_stream_timeline_and_pages(any_gateway: Gateway) -> None:
    key = any_gateway.new_key()

    async def scenario() -> None:
        async with AsyncClient(any_gateway.base_url, key) as client:
            task = await client.tasks.create(
                type="image", model="local-image", input={"prompt": "x", "render_seconds": 1}
            )
            async with client.tasks.stream(task) as stream:
                live = [event async for event in stream]
            timeline = await client.tasks.events(task)
            assert _seen(live) == _seen(timeline)[-len(live) :] and live[-1].is_final
            listed = [e async for e in client.events.list(limit=2)]
            assert _seen(listed) == _seen(timeline)

    asyncio.run(scenario())


def test_events_list_follows_pages_with_types_and_after(any_gateway: Gateway) -> None:
    recorder = Recorder()
    with recorder.http() as http, any_gateway.client(http_client=http) as client:
        first, second = _image(client), _image(client)
        for task in (first, second):
            client.tasks.wait(task, timeout=60)
        timelines = client.tasks.events(first) + client.tasks.events(second)
        recorder.seen.clear()

        listing = client.events.list(limit=3)
        events = list(listing)
        assert listing.total == len(events) == len(timelines)
        pages = [s for _, path, s in recorder.seen if path == "/api/v1/events"]
        assert pages == [200] * math.ceil(len(events) / 3)
        assert sorted(e.id for e in events) == [e.id for e in events]  # oldest first
        assert {e.id for e in events} == {e.id for e in timelines}
        for task in (first, second):  # each task's events in the order it changed
            mine = [e for e in events if e.data.id == task.id]
            assert _seen(mine) == _seen(client.tasks.events(task))

        finals = list(client.events.list(types=["task.succeeded", "task.failed"]))
        assert [e.data.id for e in finals] == [first.id, second.id]
        assert [e.type for e in client.events.list(types="task.created")] == ["task.created"] * 2
        middle = events[4].id
        assert _seen(client.events.list(after=middle, limit=100)) == _seen(events[5:])
        assert list(client.events.list(after=events[-1].id)) == []

    with any_gateway.client() as other:
        assert list(other.events.list()) == []  # another account sees none of them


def _follow_in_thread(
    stream: Any, found: list[Event], stop: Callable[[list[Event]], bool]
) -> threading.Thread:
    def run() -> None:
        with stream:
            for event in stream:
                found.append(event)
                if stop(found):
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_account_stream_from_now_on_with_types(any_gateway: Gateway) -> None:
    recorder = Recorder()
    key = any_gateway.new_key()
    with (
        recorder.http() as http,
        any_gateway.client(key, http_client=http) as listener,
        any_gateway.client(key) as client,
        any_gateway.client() as other,
    ):
        before = _image(client)
        client.tasks.wait(before, timeout=60)  # done before the stream: never seen
        found: list[Event] = []
        stream = listener.events.stream(types="task.created,task.succeeded")
        thread = _follow_in_thread(stream, found, lambda got: len(got) >= 4)
        _until(lambda: recorder.statuses("/events/stream") == [200])  # connected
        _image(other)  # another account's task is never seen
        tasks = [_image(client), _image(client)]
        thread.join(60)
        assert not thread.is_alive()
        assert {(e.data.id, e.type) for e in found} == {
            (t.id, kind) for t in tasks for kind in ("task.created", "task.succeeded")
        }
        assert stream.last_event_id == found[-1].id


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_dropped_task_stream_resumes_without_gap_or_duplicate(
    any_gateway: Gateway, flavour: str
) -> None:
    """The first connection is cut in the middle of the task's second event, the next one in
    the middle of the one after its first: the client resumes twice, and the events are
    exactly the timeline's."""
    key = any_gateway.new_key()
    proxy = CuttingProxy(any_gateway.base_url, cuts=[1, 1])
    try:
        with Client(any_gateway.base_url, key) as direct:
            task = _image(direct, render_seconds=2.5)
            if flavour == "sync":
                with Client(proxy.url, key) as client:
                    live = list(client.tasks.stream(task))
            else:

                async def follow() -> list[Event]:
                    async with AsyncClient(proxy.url, key) as client:
                        return [event async for event in client.tasks.stream(task)]

                live = asyncio.run(follow())
            timeline = direct.tasks.events(task)
    finally:
        proxy.close()

    assert proxy.cut == 2 and len(proxy.stream_heads()) == 3
    assert _seen(live) == _seen(timeline)[-len(live) :] and live[-1].type == "task.succeeded"
    assert len({e.id for e in live}) == len(live) >= 3
    heads = proxy.stream_heads()
    assert "last-event-id" not in heads[0]
    resumed = [h.split("last-event-id: ", 1)[1].split("\r\n", 1)[0] for h in heads[1:]]
    assert resumed[0] == live[0].id and resumed[1] in {e.id for e in live[1:]}


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_dropped_account_stream_resumes_without_gap_or_duplicate(
    any_gateway: Gateway, flavour: str
) -> None:
    key = any_gateway.new_key()
    with Client(any_gateway.base_url, key) as direct:
        start = direct.tasks.wait(_image(direct), timeout=60)
        origin = direct.tasks.events(start)[-1].id
        for task in [_image(direct) for _ in range(3)]:
            direct.tasks.wait(task, timeout=60)
        expected = list(direct.events.list(after=origin, limit=100))
    assert len(expected) >= 9  # created, queued, running, succeeded: some may be skipped

    proxy = CuttingProxy(any_gateway.base_url, cuts=[2, 3, 1])
    try:
        if flavour == "sync":
            with Client(proxy.url, key) as client, client.events.stream(after=origin) as stream:
                got = [event for _, event in zip(expected, stream, strict=False)]
        else:

            async def follow() -> list[Event]:
                async with AsyncClient(proxy.url, key) as client:
                    found: list[Event] = []
                    async with client.events.stream(after=origin) as stream:
                        async for event in stream:
                            found.append(event)
                            if len(found) == len(expected):
                                return found
                    return found

            got = asyncio.run(follow())
    finally:
        proxy.close()
    assert proxy.cut == 3 and len(proxy.stream_heads()) == 4
    assert _seen(got) == _seen(expected)


def test_wait_follows_the_stream(any_gateway: Gateway) -> None:
    recorder = Recorder()
    with recorder.http() as http, any_gateway.client(http_client=http) as client:
        task = _image(client, render_seconds=1)
        recorder.seen.clear()
        updates: list[Task] = []
        done = client.tasks.wait(task, timeout=60, on_update=updates.append)
        assert done.status == "succeeded" and done.result and done.progress == 100
        statuses = [t.status for t in updates]
        assert "running" in statuses and statuses[-1] == "succeeded"
        # One stream, no polling: nothing but the stream was asked for.
        assert recorder.seen == [("GET", f"/api/v1/tasks/{task.id}/stream", 200)]

        failing = client.tasks.create(
            type="video", model="local-video", input={"prompt": "x", **FAILING_VIDEO}
        )
        with pytest.raises(TaskFailed) as failed:
            client.tasks.wait(failing, timeout=60)
        assert failed.value.code == "INVALID_INPUT" and failed.value.task.status == "failed"

        slow = _image(client, render_seconds=30)
        started = time.monotonic()
        with pytest.raises(WaitTimeout) as timed_out:
            client.tasks.wait(slow, timeout=0.5)
        assert time.monotonic() - started < 1.5
        assert timed_out.value.task.id == slow.id and not timed_out.value.task.is_final

        # Cancelled by someone else while waiting.
        threading.Timer(0.5, client.tasks.cancel, (slow.id,)).start()
        with pytest.raises(TaskCancelled) as cancelled:
            client.tasks.wait(slow.id, timeout=30)
        assert cancelled.value.task.status == "cancelled"
        with pytest.raises(TaskNotFound):
            client.tasks.wait("task_" + "z" * 24, timeout=5)


def test_async_wait_follows_the_stream(any_gateway: Gateway) -> None:
    key = any_gateway.new_key()

    async def scenario() -> None:
        async with AsyncClient(any_gateway.base_url, key) as client:
            made = [
                await client.tasks.create(
                    type="image", model="local-image", input={"prompt": f"fox {n}"}
                )
                for n in range(3)
            ]
            updates: list[str] = []
            done = await asyncio.gather(
                *(
                    client.tasks.wait(t, timeout=60, on_update=lambda t: updates.append(t.status))
                    for t in made
                )
            )
            assert {t.status for t in done} == {"succeeded"} and updates.count("succeeded") == 3
            slow = await client.tasks.create(
                type="image", model="local-image", input={"prompt": "x", "render_seconds": 30}
            )
            started = time.monotonic()
            with pytest.raises(WaitTimeout):
                await client.tasks.wait(slow, timeout=0.5)
            assert time.monotonic() - started < 1.5
            await client.tasks.cancel(slow)
            with pytest.raises(TaskCancelled):
                await client.tasks.wait(slow.id, timeout=30)

    asyncio.run(scenario())


@pytest.mark.slow
def test_wait_resumes_a_dropped_stream(any_gateway: Gateway) -> None:
    key = any_gateway.new_key()
    proxy = CuttingProxy(any_gateway.base_url, cuts=[1])
    try:
        with Client(any_gateway.base_url, key) as direct, Client(proxy.url, key) as client:
            task = _image(direct, render_seconds=2)
            updates: list[Task] = []
            done = client.tasks.wait(task, timeout=60, on_update=updates.append)
            timeline = direct.tasks.events(task)
    finally:
        proxy.close()
    assert done.status == "succeeded" and proxy.cut == 1
    heads = proxy.stream_heads()
    assert len(heads) == 2 and "last-event-id: evt_" in heads[1]
    # Each change once, in order: the timeline's tasks from where the stream started.
    seen = [(t.status, t.progress) for t in updates]
    assert seen == [(e.data.status, e.data.progress) for e in timeline][-len(seen) :]
    assert all("/stream" in head.split("\r\n", 1)[0] for head in proxy.heads)  # never polled
