"""The engine through the HTTP API, with the scripted provider: states, retries, 429s,
failures, deadlines, cancel. Calls are counted from the provider's own log."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from PIL import Image

from helpers import wait_for
from scripted_provider import read_calls


@pytest.fixture
def http(engine_live):
    with engine_live.client() as client:
        yield client


def _create(http, prompt: str, **extra) -> str:
    body = {"type": "image", "model": "scripted-image", "input": {"prompt": prompt}, **extra}
    r = http.post("/api/v1/tasks", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def _calls(engine_live, task_id: str) -> list[str]:
    return [c["call"] for c in read_calls(engine_live.scripted_root) if c["task"] == task_id]


def _tag() -> str:
    return secrets.token_hex(4)


def test_a_task_goes_through_every_state_to_a_downloadable_result(engine_live, http, tmp_path):
    task_id = _create(http, f"fox {_tag()} queue:1.2 run:1.5")
    running = wait_for(http, task_id, {"running", "succeeded"})
    task = wait_for(http, task_id)
    assert task["status"] == "succeeded", task
    seen = running["seen"] + task["seen"]
    assert seen.index("queued") < seen.index("running") < seen.index("succeeded"), seen
    assert task["progress"] == 100
    assert task["queue_position"] == -1 and task["eta_seconds"] == -1
    assert task["cost"] == 0.25  # one image at 0.25
    assert task["started_at"] and task["completed_at"]
    assert task["completed_at"] >= task["started_at"] >= task["created_at"]
    [item] = task["result"]
    assert item["format"] == "png" and (item["width"], item["height"]) == (64, 48)
    download = httpx.get(item["url"])
    assert download.status_code == 200
    path = tmp_path / "out.png"
    path.write_bytes(download.content)
    assert item["size_bytes"] == len(download.content)
    with Image.open(path) as image:
        assert image.size == (64, 48)
    assert _calls(engine_live, task_id).count("submit") == 1


def test_a_new_task_starts_within_100_ms(engine_live, http):
    """Measured from the provider's log: the submit call follows the create at once."""
    started = time.time()
    task_id = _create(http, f"quick {_tag()}")
    wait_for(http, task_id)
    [submit] = [
        c
        for c in read_calls(engine_live.scripted_root)
        if c["task"] == task_id and c["call"] == "submit"
    ]
    assert submit["t"] - started < 0.5  # generous for loaded CI machines; typical is a few ms


def test_server_errors_are_retried_then_succeed(engine_live, http):
    task_id = _create(http, f"flaky:2 {_tag()}")
    task = wait_for(http, task_id)
    assert task["status"] == "succeeded", task
    calls = _calls(engine_live, task_id)
    assert calls[:3] == ["submit", "submit", "submit"]  # two 503s, then accepted


def test_server_errors_beyond_the_attempts_fail_the_task(engine_live, http):
    task_id = _create(http, f"flaky:50 {_tag()}")
    task = wait_for(http, task_id)
    assert task["status"] == "failed"
    assert task["error"]["code"] == "PROVIDER_ERROR"
    assert "3 tries" in task["error"]["message"]
    assert task["cost"] == 0
    assert len(_calls(engine_live, task_id)) == 3  # max_attempts


def test_a_429_storm_is_ridden_out_without_failing(engine_live, http):
    task_id = _create(http, f"ratelimit:12 {_tag()}")
    task = wait_for(http, task_id)
    assert task["status"] == "succeeded", task
    calls = _calls(engine_live, task_id)
    assert calls.count("submit") == 13  # 12 refused, one accepted: never more than needed
    assert len(calls) < 40


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("badinput", "INVALID_INPUT"),
        ("banned", "CONTENT_POLICY_VIOLATION"),
        ("lost", "PROVIDER_ERROR"),
        ("crash", "INTERNAL_ERROR"),
    ],
)
def test_provider_failures_map_to_codes(engine_live, http, word, code):
    task_id = _create(http, f"{word} {_tag()}")
    task = wait_for(http, task_id)
    assert task["status"] == "failed"
    assert task["error"]["code"] == code
    assert task["cost"] == 0 and "result" not in task


def test_a_task_past_its_deadline_fails_with_timeout_and_its_job_is_cancelled(engine_live, http):
    task_id = _create(http, f"slow {_tag()} run:30", timeout_s=1)
    task = wait_for(http, task_id)
    assert task["status"] == "failed"
    assert task["error"]["code"] == "TIMEOUT"
    completed = time.mktime(time.strptime(task["completed_at"], "%Y-%m-%dT%H:%M:%SZ"))
    created = time.mktime(time.strptime(task["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert completed - created <= 3
    deadline = time.monotonic() + 5
    while "cancel" not in _calls(engine_live, task_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cancel" in _calls(engine_live, task_id)


@pytest.mark.parametrize("state", ["queued", "running"])
def test_cancel_of_a_started_task_reaches_the_provider(engine_live, http, state):
    task_id = _create(http, f"cancel-me {_tag()} queue:1.5 run:20")
    wait_for(http, task_id, {state})
    r = http.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "cancelled"
    deadline = time.monotonic() + 5
    while "cancel" not in _calls(engine_live, task_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cancel" in _calls(engine_live, task_id)
    time.sleep(0.5)  # a cancelled task never comes back to life
    task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
    assert task["status"] == "cancelled" and task["cost"] == 0 and "result" not in task
    assert http.post(f"/api/v1/tasks/{task_id}/cancel").status_code == 409


def test_cancel_during_a_submit_still_cancels_the_job_it_started(engine_live, http):
    task_id = _create(http, f"racing {_tag()} hang_submit:1.0 run:20")
    deadline = time.monotonic() + 5
    while "submit" not in _calls(engine_live, task_id):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = http.post(f"/api/v1/tasks/{task_id}/cancel")  # the provider has the job; we don't yet
    assert r.json()["data"]["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while "cancel" not in _calls(engine_live, task_id):
        assert time.monotonic() < deadline, _calls(engine_live, task_id)
        time.sleep(0.05)
    task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
    assert task["status"] == "cancelled" and task["cost"] == 0
