"""The processes' log: every step of a task is one line naming the task, its provider, the
step and its outcome, as text or as JSON (`MEDIAGATE_LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from helpers import cli_env, image_body, run_cli, start_serve


def _serve_and_run_a_task(tmp_path: Path, fmt: str) -> tuple[str, str]:
    """(task id, the server's log) of one local task run by `serve`."""
    env = cli_env(data_dir=str(tmp_path / "data"), log_format=fmt, idle_poll_seconds="0.2")
    key = run_cli("keys", "create", "--account", "logs", env=env).stdout.strip().splitlines()[-1]
    log_path = tmp_path / "server.log"
    proc, base = start_serve(env, log=log_path)
    deadline = time.monotonic() + 60
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
            task_id = http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
            while http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] != "succeeded":
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(15)
    return task_id, log_path.read_text()


@pytest.mark.slow
def test_json_lines_follow_a_task_step_by_step(tmp_path: Path) -> None:
    task_id, text = _serve_and_run_a_task(tmp_path, "json")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # the server's own, too
    steps = [r for r in records if r.get("task_id") == task_id]
    assert [r["step"] for r in steps][:1] == ["submit"], steps
    assert {r["provider"] for r in steps} == {"local"}
    assert all(r["outcome"] == "ok" and r["level"] == "INFO" for r in steps), steps
    assert len(steps) >= 2  # the submit, then polls until it succeeded


@pytest.mark.slow
def test_text_lines_carry_the_same_fields(tmp_path: Path) -> None:
    task_id, text = _serve_and_run_a_task(tmp_path, "text")
    mine = [line for line in text.splitlines() if f"task_id={task_id}" in line]
    assert mine and "step=submit" in mine[0] and "provider=local" in mine[0], text[-3000:]
    assert all(" INFO mediagate.engine " in line for line in mine)
