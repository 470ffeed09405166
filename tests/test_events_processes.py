"""Events across processes: a worker process writes a task's changes, an SSE client of the API
process (`serve --workers 0`) receives them; PostgreSQL wakes the API by NOTIFY, SQLite by its
short fallback poll. A worker killed mid-task leaves a timeline with every change once."""

from __future__ import annotations

import secrets
import signal

import pytest

from helpers import wait_for
from process_support import create_scripted
from sse_support import Collector, stream_events

pytestmark = pytest.mark.slow


def _timeline_ids(http, task_id: str) -> list[str]:
    return [e["id"] for e in http.get(f"/api/v1/tasks/{task_id}/events").json()["data"]]


def test_events_written_by_a_worker_process_reach_the_api_process_streams(cluster):
    cluster.start_worker()
    with cluster.http() as http:
        task_id = create_scripted(http, f"across {secrets.token_hex(3)} queue:0.3 run:1")
        got = stream_events(http, f"/api/v1/tasks/{task_id}/stream", timeout=30)
        kinds = [m.event for m in got]
        assert kinds[-1] == "task.succeeded", kinds
        assert "task.running" in kinds
        timeline = _timeline_ids(http, task_id)
        assert [m.id for m in got] == timeline[timeline.index(got[0].id) :]


def test_a_worker_killed_mid_task_leaves_every_change_once(cluster):
    first = cluster.start_worker()
    with cluster.http() as http:
        account = Collector(http, "/api/v1/events/stream", timeout=60)
        try:
            task_id = create_scripted(http, f"killed {secrets.token_hex(3)} run:2")
            wait_for(http, task_id, {"running"})
            first.send_signal(signal.SIGKILL)
            first.wait(5)
            cluster.start_worker()
            task = wait_for(http, task_id, timeout=30)
            assert task["status"] == "succeeded"
            account.wait_for(lambda got: any(m.event == "task.succeeded" for m in got))
        finally:
            account.close()
        timeline = http.get(f"/api/v1/tasks/{task_id}/events").json()["data"]
    kinds = [e["type"] for e in timeline]
    statuses = [k for k in kinds if k != "task.progress"]
    assert statuses == ["task.created", "task.queued", "task.running", "task.succeeded"], kinds
    assert [m.id for m in account.got] == [e["id"] for e in timeline]  # no gap, no repeat
    progress = [e["data"]["progress"] for e in timeline]
    assert progress == sorted(progress)


def test_a_stopping_server_ends_its_open_streams(empty_database, tmp_path):
    """SIGTERM with event streams open: `serve` ends them at once (their clients resume
    elsewhere) instead of waiting for every client to hang up, or cutting them after its grace
    period with an error each."""
    import time

    import httpx

    from helpers import cli_env, run_cli, start_serve

    env = cli_env(database_url=empty_database, data_dir=str(tmp_path), shutdown_grace_seconds="30")
    api, base = start_serve(env, "--workers", "0")
    try:
        key = run_cli("keys", "create", "--account", "grace", env=env).stdout.split()[-1]
        headers = {"Authorization": f"Bearer {key}"}
        streams = [
            Collector(httpx.Client(base_url=base, headers=headers), "/api/v1/events/stream")
            for _ in range(3)
        ]
        assert all(s.status == 200 for s in streams)
        started = time.monotonic()
        api.send_signal(signal.SIGTERM)
        output = api.communicate(timeout=20)[0]
        assert time.monotonic() - started < 8  # well inside the 30 s grace
        assert all(s.ended.wait(5) for s in streams)
        assert "Traceback" not in output and "ERROR" not in output, output
    finally:
        if api.poll() is None:
            api.kill()
            api.communicate()
