"""A server that breaks the contract (a scripted one on loopback: the real gateway never does
these things). The client must answer with its own typed errors, never a KeyError, a pydantic
ValidationError, or a loop that never ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import ScriptedServer, envelope, task_data

from mediagate.client import (
    ConflictError,
    DownloadError,
    InsufficientCredits,
    InternalError,
    InvalidResponse,
    ServiceUnavailable,
    TaskExpired,
    UnexpectedTaskStatus,
    WaitTimeout,
)

TASK = "/api/v1/tasks/task_abcdefghijklmnopqrstuv"
ID = "task_abcdefghijklmnopqrstuv"


@pytest.fixture
def script() -> Iterator[ScriptedServer]:
    server = ScriptedServer({})
    yield server
    server.close()


def _error(code: str, message: str = "no") -> bytes:
    return json.dumps({"success": False, "error": {"code": code, "message": message}}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"<html>hello</html>",
        b'{"success": true}',
        b'["success"]',
        envelope({"id": ID}),
        envelope(task_data(progress="lots")),
        envelope(task_data(id="../../etc")),
        envelope(task_data(status="succeeded", result=[{"url": "file:///etc/passwd"}])),
        envelope(
            task_data(
                status="succeeded",
                result=[
                    {
                        "url": "http://x/a.png",
                        "format": "png",
                        "size_bytes": 1,
                        "thumbnail_url": "file:///etc/passwd",
                    }
                ],
            )
        ),
    ],
)
def test_malformed_answers_are_invalid_response(script: ScriptedServer, body: bytes) -> None:
    script.routes[("GET", TASK)] = [(200, {}, body)]
    with script.client() as client, pytest.raises(InvalidResponse) as raised:
        client.tasks.get(ID)
    assert raised.value.status_code in (200, None)


def test_error_codes_map_to_classes_also_ones_the_gateway_never_sends(
    script: ScriptedServer,
) -> None:
    script.routes[("GET", TASK)] = [(402, {}, _error("INSUFFICIENT_CREDITS", "top up"))]
    with script.client() as client:
        with pytest.raises(InsufficientCredits) as credits:
            client.tasks.get(ID)
        assert (credits.value.status_code, credits.value.code) == (402, "INSUFFICIENT_CREDITS")
        script.routes[("GET", TASK)] = [(409, {}, _error("SOMETHING_NEW"))]
        with pytest.raises(ConflictError) as new:
            client.tasks.get(ID)
        assert new.value.code == "SOMETHING_NEW"


def test_5xx_is_retried_then_raised(script: ScriptedServer) -> None:
    script.routes[("GET", TASK)] = [
        (503, {"Retry-After": "0"}, _error("SERVICE_UNAVAILABLE")),
        (502, {}, b"bad gateway"),
        (200, {}, envelope(task_data())),
    ]
    with script.client() as client:
        assert client.tasks.get(ID).id == ID
    assert len(script.hits) == 3

    script.routes[("GET", TASK)] = [(500, {}, b"<h1>oops</h1>")]
    with script.client(max_retries=1) as client, pytest.raises(InternalError) as raised:
        client.tasks.get(ID)
    assert (raised.value.status_code, raised.value.code) == (500, "INTERNAL_ERROR")
    assert len(script.hits) == 5

    script.routes[("GET", TASK)] = [(503, {"Retry-After": "99999"}, _error("SERVICE_UNAVAILABLE"))]
    with script.client() as client, pytest.raises(ServiceUnavailable):
        client.tasks.get(ID)  # too long a Retry-After: raised at once, not slept on
    assert len(script.hits) == 6


def test_wait_on_an_unknown_status_never_hangs(script: ScriptedServer) -> None:
    finished = task_data(status="archived", completed_at="2026-11-23T10:00:09Z")
    script.routes[("GET", TASK)] = [(200, {}, envelope(finished))]
    with script.client() as client:
        with pytest.raises(UnexpectedTaskStatus) as raised:
            client.tasks.wait(ID, timeout=30)
        assert raised.value.task.status == "archived"
        script.routes[("GET", TASK)] = [(200, {}, envelope(task_data(status="throttled")))]
        with pytest.raises(WaitTimeout):
            client.tasks.wait(ID, timeout=0.5)  # not final yet: polled until the timeout


def test_expired_task_raises_task_expired(script: ScriptedServer, tmp_path: Path) -> None:
    expired = task_data(
        status="expired",
        completed_at="2026-11-23T10:00:09Z",
        error={"code": "RESULT_UNAVAILABLE", "message": "deleted"},
    )
    script.routes[("GET", TASK)] = [(200, {}, envelope(expired))]
    with script.client() as client:
        with pytest.raises(TaskExpired):
            client.tasks.wait(ID)
        with pytest.raises(TaskExpired):
            client.tasks.download(ID, tmp_path)


def test_listing_that_goes_round_in_circles_is_refused(script: ScriptedServer) -> None:
    page = envelope([task_data()], pagination={"cursor": "c1", "hasMore": True, "total": 9})
    script.routes[("GET", "/api/v1/tasks")] = [(200, {}, page)]
    with script.client() as client, pytest.raises(InvalidResponse, match="cursor"):
        list(client.tasks.list())
    assert len(script.hits) == 2


def test_a_download_longer_than_announced_leaves_no_file(
    script: ScriptedServer, tmp_path: Path
) -> None:
    file_url = f"{script.url}/files/x.png"
    done = task_data(
        status="succeeded",
        progress=100,
        completed_at="2026-11-23T10:00:09Z",
        result=[{"url": file_url, "format": "png", "size_bytes": 10}],
    )
    script.routes[("GET", TASK)] = [(200, {}, envelope(done))]
    script.routes[("GET", "/files/x.png")] = [(200, {"Content-Type": "image/png"}, b"x" * 5000)]
    with script.client(max_retries=1) as client, pytest.raises(DownloadError, match="longer"):
        client.tasks.download(ID, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_server_messages_are_shown_on_one_line(script: ScriptedServer) -> None:
    script.routes[("GET", TASK)] = [(404, {}, _error("TASK_NOT_FOUND", "gone\n\x1b[31mred\r"))]
    with script.client() as client, pytest.raises(Exception) as raised:
        client.tasks.get(ID)
    shown = str(raised.value)
    assert "\n" not in shown and "\x1b" not in shown and "gone" in shown
    assert raised.value.message == "gone\n\x1b[31mred\r"  # type: ignore[attr-defined]
