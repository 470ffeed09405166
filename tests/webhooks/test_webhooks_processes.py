"""Deliveries from worker processes as they run in production (`serve --workers 0` for the API,
`mediagate worker` for the engine): a worker killed with SIGKILL while a receiver holds its
request loses nothing; another worker delivers once the lease runs out."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webhook_support import Answer, Receiver, wait_until

from helpers import cli_env, run_cli, start_serve, stop, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def api(empty_database: str, tmp_path: Path) -> Iterator[tuple[dict[str, str], str, str]]:
    """The API alone: (environment for workers, its URL, a key)."""
    env = cli_env(
        database_url=empty_database,
        data_dir=str(tmp_path / "data"),
        lease_seconds="1",
        idle_poll_seconds="0.2",
        fetch_private_urls="true",
        webhook_timeout_seconds="30",
    )
    proc, base = start_serve(env, "--workers", "0")
    key = run_cli("keys", "create", "--account", "hooks", env=env).stdout.strip().splitlines()[-1]
    try:
        yield env, base, key
    finally:
        stop(proc)


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mediagate", "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_delivery_loses_nothing(api, receiver: Receiver):
    env, base, key = api
    hold = receiver.hold()
    receiver.script("/held", Answer(hold=hold))
    workers = [_worker(env)]
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
            r = http.post(
                "/api/v1/webhooks",
                json={"url": receiver.url("/held"), "events": ["task.succeeded"]},
            )
            endpoint = r.json()["data"]
            body = {
                "type": "image",
                "model": "local-image",
                "input": {"prompt": secrets.token_hex(4)},
            }
            task_id = http.post("/api/v1/tasks", json=body).json()["data"]["id"]
            assert wait_for(http, task_id)["status"] == "succeeded"
            [first] = receiver.wait_count("/held", 1)  # held by the receiver, unanswered
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(5)
            workers.append(_worker(env))
            first, second = receiver.wait_count("/held", 2, timeout=30)
            for received in (first, second):
                payload = received.verify(endpoint["secret"])
                assert payload["type"] == "task.succeeded" and payload["data"]["id"] == task_id
            assert first.webhook_id == second.webhook_id
            path = f"/api/v1/webhooks/{endpoint['id']}/deliveries"
            [item] = wait_until(
                lambda: (log := http.get(path).json()["data"])[0]["status"] == "succeeded" and log
            )
            assert item["attempts"] == 2  # the killed worker's try counts
            assert item["event_id"] == first.webhook_id
    finally:
        hold.set()
        for proc in workers:
            proc.kill()
            proc.wait(10)
