"""`mediagate events tail`, `mediagate webhooks ...` and the stream-fed progress of `tasks wait`,
through real subprocesses against real gateways."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from client_support import Gateway, HookReceiver

from helpers import cli_env, run_cli


def _env(gateway: Gateway, key: str) -> dict[str, str]:
    return cli_env(url=gateway.base_url, api_key=key)


def _until(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)
    return value


def _tail(env: dict[str, str], *args: str, lines: int) -> tuple[list[str], str]:
    """Run `events tail` until it printed `lines` lines, then interrupt it: (lines, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "events", "tail", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        got = [proc.stdout.readline().rstrip("\n") for _ in range(lines)]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return got, err


def test_events_tail_follows_the_account_stream(any_gateway: Gateway) -> None:
    key = any_gateway.new_key()
    with any_gateway.client(key) as client:
        first = client.tasks.create(type="image", model="local-image", input={"prompt": "x"})
        client.tasks.wait(first, timeout=60)
        origin = client.tasks.events(first)[-1].id
        made = [
            client.tasks.create(type="image", model="local-image", input={"prompt": "y"})
            for _ in range(2)
        ]
        for task in made:
            client.tasks.wait(task, timeout=60)
        expected = list(client.events.list(after=origin))

    printed, err = _tail(_env(any_gateway, key), "--after", origin, "--json", lines=len(expected))
    events = [json.loads(line) for line in printed]
    assert [e["id"] for e in events] == [e.id for e in expected], err
    assert events[-1]["data"]["status"] == "succeeded" and "Traceback" not in err

    printed, _ = _tail(
        _env(any_gateway, key), "--after", origin, "--types", "task.created,task.succeeded",
        "-t", "task.failed", lines=4,
    )  # fmt: skip
    rows = [line.split("\t") for line in printed]  # time, type, task, status, progress, id
    assert [r[5] for r in rows] == [
        e.id for e in expected if e.type in ("task.created", "task.succeeded")
    ]
    assert {(r[1], r[2], r[3]) for r in rows} == {
        (kind, task.id, status)
        for task in made
        for kind, status in (("task.created", "pending"), ("task.succeeded", "succeeded"))
    }
    assert all(r[0].endswith("Z") and r[4].endswith("%") and r[5].startswith("evt_") for r in rows)


def test_events_tail_refuses_a_bad_position(gateway: Gateway) -> None:
    proc = run_cli("events", "tail", "--after", "nope", env=_env(gateway, gateway.new_key()))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error:")
    assert "after" in proc.stderr


def test_tasks_wait_shows_the_progress_the_stream_brings(gateway: Gateway) -> None:
    key = gateway.new_key()
    with gateway.client(key) as client:
        task = client.tasks.create(
            type="image", model="local-image", input={"prompt": "x", "render_seconds": 8}
        )  # still running when the command (which takes seconds to start) attaches
    proc = run_cli("tasks", "wait", task.id, env=_env(gateway, key))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert any(line.startswith("running") for line in lines), lines  # seen as it ran
    assert lines[-1].startswith("succeeded 100%")


@pytest.mark.slow
def test_webhooks_commands(hook_gateway: Gateway, receiver: HookReceiver) -> None:
    env = _env(hook_gateway, hook_gateway.new_key())
    created = run_cli(
        "webhooks", "create", receiver.url, "--event", "task.succeeded", "--description", "ci",
        "--json", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    hook = json.loads(created.stdout)
    assert hook["id"].startswith("wh_") and hook["secret"].startswith("whsec_")
    assert hook["events"] == ["task.succeeded"]

    listed = run_cli("webhooks", "list", env=env)  # piped: tab-separated, header first
    header, row = [line.split("\t") for line in listed.stdout.splitlines()]
    assert header[:3] == ["id", "url", "events"] and row[:3] == [
        hook["id"],
        receiver.url,
        "task.succeeded",
    ]

    tested = run_cli("webhooks", "test", hook["id"], env=env)
    assert tested.returncode == 0, tested.stderr
    _, sent = [line.split("\t") for line in tested.stdout.splitlines()]
    assert sent[0].startswith("dlv_") and sent[2] == "webhook.test"

    def delivered() -> list[dict[str, Any]]:
        log = json.loads(run_cli("webhooks", "deliveries", hook["id"], "--json", env=env).stdout)
        return [d for d in log if d["status"] == "succeeded"]

    [done] = _until(delivered)
    assert done["id"] == sent[0] and done["response_status"] == 200 and len(receiver.got) == 1

    again = run_cli("webhooks", "redeliver", hook["id"], done["id"], "--json", env=env)
    assert again.returncode == 0, again.stderr
    redelivery = json.loads(again.stdout)
    assert redelivery["event_id"] == done["event_id"] and redelivery["id"] != done["id"]
    _until(lambda: len(delivered()) == 2)

    table = run_cli("webhooks", "deliveries", hook["id"], "--limit", "1", env=env)
    assert len(table.stdout.splitlines()) == 2 and "1 of 2 deliveries" in table.stderr

    missing = run_cli("webhooks", "deliveries", "wh_nothingatall", env=env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    refused = run_cli("webhooks", "create", "ftp://example.com/x", env=env)
    assert refused.returncode == 1 and "url" in refused.stderr and "Traceback" not in refused.stderr
