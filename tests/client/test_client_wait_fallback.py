"""`wait` and streams against gateways that have no stream, or whose stream misbehaves: an older
gateway (the stream routes removed) is polled; scripted servers for what a real gateway never
does (a stream that keeps failing, ends early, splits its data, or expires a task)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
from client_support import (
    FAILING_VIDEO,
    SSE_HEADERS,
    Gateway,
    Recorder,
    ScriptedServer,
    envelope,
    event_data,
    sse,
    task_data,
)

from mediagate import AsyncClient, InvalidResponse, TaskExpired, TaskFailed
from mediagate.client import NotFoundError

TASK = task_data()["id"]
STREAM = ("GET", f"/api/v1/tasks/{TASK}/stream")
GET = ("GET", f"/api/v1/tasks/{TASK}")


@pytest.fixture
def script() -> Iterator[ScriptedServer]:
    server = ScriptedServer({})
    yield server
    server.close()


def test_wait_polls_a_gateway_without_streams(old_gateway: Gateway) -> None:
    recorder = Recorder()
    with recorder.http() as http, old_gateway.client(http_client=http) as client:
        task = client.tasks.create(type="image", model="local-image", input={"prompt": "x"})
        updates: list[str] = []
        done = client.tasks.wait(task, timeout=60, on_update=lambda t: updates.append(t.status))
        assert done.status == "succeeded" and updates[-1] == "succeeded"
        stream, *polls = [
            s for _, p, s in recorder.seen if p.startswith(f"/api/v1/tasks/{task.id}")
        ]
        assert stream == 404 and polls and set(polls) == {200}  # no stream: polled

        failing = client.tasks.create(
            type="video", model="local-video", input={"prompt": "x", **FAILING_VIDEO}
        )
        with pytest.raises(TaskFailed) as failed:
            client.tasks.wait(failing, timeout=60)
        assert failed.value.code == "INVALID_INPUT"
        with pytest.raises(NotFoundError):  # asked for directly, the missing stream is an error
            list(client.tasks.stream(task))


def test_async_wait_polls_a_gateway_without_streams(old_gateway: Gateway) -> None:
    key = old_gateway.new_key()

    async def scenario() -> str:
        async with AsyncClient(old_gateway.base_url, key) as client:
            task = await client.tasks.create(
                type="image", model="local-image", input={"prompt": "x"}
            )
            return (await client.tasks.wait(task, timeout=60)).status

    assert asyncio.run(scenario()) == "succeeded"


def test_wait_polls_when_the_stream_keeps_failing(script: ScriptedServer) -> None:
    script.routes[STREAM] = [(503, {"Retry-After": "0"}, b"{}")]
    script.routes[GET] = [(200, {}, envelope(task_data(status="succeeded", progress=100)))]
    with script.client(max_retries=2) as client:
        assert client.tasks.wait(TASK, timeout=10).status == "succeeded"
    assert script.hits == [STREAM, STREAM, STREAM, GET]  # three tries, then a poll


def test_wait_polls_a_stream_that_is_not_an_event_stream(script: ScriptedServer) -> None:
    script.routes[STREAM] = [(200, {}, envelope({"not": "a stream"}))]
    script.routes[GET] = [(200, {}, envelope(task_data(status="succeeded", progress=100)))]
    with script.client() as client:
        assert client.tasks.wait(TASK, timeout=10).status == "succeeded"
        with pytest.raises(InvalidResponse):
            list(client.tasks.stream(TASK))


def test_a_stream_ended_early_is_resumed_after_its_last_event(script: ScriptedServer) -> None:
    first, second = event_data(1), event_data(2, progress=70)
    final = event_data(3, status="expired", progress=100, completed_at="2026-11-23T10:09:00Z")
    script.routes[STREAM] = [
        (200, SSE_HEADERS, sse(first) + b'id: evt_x\ndata: {"cut'),  # ends mid-event
        (200, SSE_HEADERS, sse(second, final)),
    ]
    updates: list[int] = []
    with script.client() as client, pytest.raises(TaskExpired) as expired:
        client.tasks.wait(TASK, timeout=10, on_update=lambda t: updates.append(t.progress))
    assert expired.value.task.status == "expired" and updates == [50, 70, 100]
    assert [h.get("last-event-id") for h in script.headers] == [None, first["id"]]


def test_event_data_split_over_lines_with_crlf(script: ScriptedServer) -> None:
    event = event_data(1, status="succeeded", progress=100, completed_at="2026-11-23T10:01:00Z")
    text = json.dumps(event, indent=1)  # JSON over many lines: `data:` lines joined by LF
    body = (
        f": hello\r\nid: {event['id']}\r\nevent: {event['type']}\r\n".encode()
        + b"".join(f"data: {line}\r\n".encode() for line in text.splitlines())
        + b"\r\n"
    )
    script.routes[STREAM] = [(200, SSE_HEADERS, body)]
    with script.client() as client:
        [got] = list(client.tasks.stream(TASK))
        assert got.id == event["id"] and got.type == "task.succeeded" and got.is_final
        started = time.monotonic()
        assert client.tasks.wait(TASK, timeout=10).status == "succeeded"
        assert time.monotonic() - started < 2
