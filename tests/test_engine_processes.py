"""Worker processes as they run in production: killed with SIGKILL mid-task, and two sharing
one database. The API runs alone (`serve --workers 0`), workers with `mediagate worker`."""

from __future__ import annotations

import secrets
import signal
import time

import pytest

from helpers import FINAL, wait_for
from process_support import Cluster, backward_moves
from process_support import create_scripted as _create


def _wait_call(cluster: Cluster, task_id: str, call: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not any(c["call"] == call for c in cluster.calls(task_id)):
        assert time.monotonic() < deadline, f"no {call} call for {task_id}"
        time.sleep(0.02)


def test_a_worker_killed_while_polling_loses_nothing(cluster):
    first = cluster.start_worker()
    with cluster.http() as http:
        task_id = _create(http, f"survive {secrets.token_hex(3)} run:2")
        wait_for(http, task_id, {"running"})
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        cluster.start_worker()
        task = wait_for(http, task_id, timeout=30)
    assert task["status"] == "succeeded", task
    calls = cluster.calls(task_id)
    assert [c["call"] for c in calls].count("submit") == 1
    assert len({c["pid"] for c in calls}) == 2  # the second worker finished it


@pytest.mark.slow  # the dead render is noticed after its 10 s heartbeat timeout
def test_a_render_restarted_after_its_worker_died_never_moves_the_task_backwards(cluster):
    """The `local` provider renders inside the worker: killed mid-render, the job dies with it
    and the next worker renders it again from the start. The client sees the task stay
    `running` and its progress never decrease, in GETs sampled all along and in its events."""
    first = cluster.start_worker()
    body = {
        "type": "image",
        "model": "local-image",
        "input": {"prompt": "restart", "width": 64, "height": 64, "render_seconds": 6},
    }
    with cluster.http() as http:
        created = http.post("/api/v1/tasks", json=body)
        assert created.status_code == 202, created.text
        task_id = created.json()["data"]["id"]
        history: list[tuple[str, int]] = []
        deadline = time.monotonic() + 60
        while not history or history[-1][0] not in FINAL:
            assert time.monotonic() < deadline, history
            task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
            if not history or history[-1] != (task["status"], task["progress"]):
                history.append((task["status"], task["progress"]))
            if first.poll() is None and task["progress"] > 0:
                first.send_signal(signal.SIGKILL)  # mid-render: the job dies with its worker
                first.wait(5)
                cluster.start_worker()
            time.sleep(0.02)
        events = http.get(f"/api/v1/tasks/{task_id}/events").json()["data"]
    assert first.poll() is not None, history  # the render was killed
    assert history[-1] == ("succeeded", 100), history
    assert backward_moves(history) == [], history
    timeline = [(e["data"]["status"], e["data"]["progress"]) for e in events]
    assert backward_moves(timeline) == [], timeline
    leftovers = [p.name for p in (cluster.data_dir / "local-jobs").iterdir()]
    assert len(leftovers) == 1, leftovers  # the dead render's job (the second one was cleaned up)


def _kill_mid_submit(cluster: Cluster, prompt: str) -> tuple[dict, list[str]]:
    """Kill the worker while the provider holds a job whose id the worker has not stored yet;
    a second worker takes over. Returns the final task and the provider's calls for it."""
    first = cluster.start_worker()
    with cluster.http() as http:
        task_id = _create(http, f"{prompt} hang_submit:30 {secrets.token_hex(3)}")
        _wait_call(cluster, task_id, "submit")
        time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        cluster.start_worker()
        task = wait_for(http, task_id, timeout=30)
    return task, [c["call"] for c in cluster.calls(task_id)]


def test_a_worker_killed_mid_submit_reconciles_instead_of_submitting_again(cluster):
    task, calls = _kill_mid_submit(cluster, "reconcile")
    assert task["status"] == "succeeded", task
    assert calls.count("submit") == 1


def test_a_worker_killed_mid_submit_fails_the_task_rather_than_pay_twice(cluster):
    task, calls = _kill_mid_submit(cluster, "no-lookup")
    assert task["status"] == "failed"
    assert task["error"]["code"] == "PROVIDER_ERROR"
    assert "not resubmitting" in task["error"]["message"]
    assert calls.count("submit") == 1


def test_two_workers_never_run_one_step_twice(cluster):
    cluster.start_worker()
    cluster.start_worker()
    with cluster.http() as http:
        ids = [_create(http, f"pair {i} {secrets.token_hex(3)} run:0.5") for i in range(16)]
        tasks = [wait_for(http, task_id, timeout=60) for task_id in ids]
    assert all(t["status"] == "succeeded" for t in tasks), [t["status"] for t in tasks]
    pids = set()
    for task_id in ids:
        calls = cluster.calls(task_id)
        assert [c["call"] for c in calls].count("submit") == 1, calls
        pids |= {c["pid"] for c in calls}
    assert len(pids) == 2  # both workers took part


def test_steps_longer_than_the_lease_keep_it(cluster):
    """Tasks claimed together (one claim, 4 slots) whose submit outlasts the 1 s lease three
    times over: the worker keeps every lease, so none is rescued and claimed a second time
    (which would refuse to submit again and fail the task)."""
    with cluster.http() as http:
        token = secrets.token_hex(3)
        ids = [_create(http, f"long {i} {token} hang_submit:3") for i in range(6)]
        cluster.start_worker()
        tasks = [wait_for(http, task_id, timeout=60) for task_id in ids]
    assert [t["status"] for t in tasks] == ["succeeded"] * 6, [t.get("error") for t in tasks]
    for task_id in ids:
        assert [c["call"] for c in cluster.calls(task_id)].count("submit") == 1


def test_a_stopped_worker_hands_its_task_over_at_once(cluster):
    """SIGTERM mid-submit: the worker releases the lease as it stops, so another worker takes
    the task over (finding the job by its reference, not paying twice) long before the 30 s
    lease would have run out."""
    lease = {"MEDIAGATE_LEASE_SECONDS": "30"}
    first = cluster.start_worker(**lease)
    with cluster.http() as http:
        task_id = _create(http, f"handover {secrets.token_hex(3)} hang_submit:3 reconcile")
        _wait_call(cluster, task_id, "submit")
        first.send_signal(signal.SIGTERM)
        assert first.wait(10) == 0
        cluster.start_worker(**lease)
        task = wait_for(http, task_id, timeout=20)  # well inside the lease
    assert task["status"] == "succeeded", task
    assert [c["call"] for c in cluster.calls(task_id)].count("submit") == 1


def test_a_new_task_wakes_an_idle_worker_in_another_process(cluster):
    """PostgreSQL: NOTIFY wakes the worker at once, though it polls only every 5 s. SQLite has
    no cross-process signal: the worker finds the task at its next poll."""
    cluster.env["MEDIAGATE_IDLE_POLL_SECONDS"] = "5"
    cluster.start_worker()
    time.sleep(6)  # the worker is up and asleep
    with cluster.http() as http:
        created = time.time()
        task_id = _create(http, f"wake {secrets.token_hex(3)}")
        _wait_call(cluster, task_id, "submit")
    [submit] = [c for c in cluster.calls(task_id) if c["call"] == "submit"]
    delay = submit["t"] - created
    if "postgresql" in cluster.env["MEDIAGATE_DATABASE_URL"]:
        assert delay < 0.5, delay
    else:
        assert delay < 5.5, delay
