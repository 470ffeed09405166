"""Several processes on one jobs directory: polling and cancelling each other's jobs, and
noticing when the process rendering a job is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from local_support import SyncLocal, job_files

from mediagate.providers import JobNotFound, JobState, RetryableError


def test_another_process_polls_and_cancels(make_local: Callable[..., SyncLocal]) -> None:
    renderer, other = make_local(), make_local()
    job_id = renderer.submit("local-music", prompt="shared", render_seconds=10)
    status = other.wait(job_id, lambda s: s.state is JobState.RUNNING and (s.progress or 0) > 0)
    assert status.eta_seconds is not None
    asked = time.monotonic()
    other.cancel(job_id)  # not its job: a marker the renderer notices
    status = other.wait(job_id, every=0.01)
    assert time.monotonic() - asked < 1.0
    assert status.state is JobState.CANCELLED
    assert renderer.poll(job_id).state is JobState.CANCELLED
    assert job_files(other.jobs_dir, job_id) == ["cancel", "state.json"]


def test_another_process_sees_success_and_cleans_up(make_local: Callable[..., SyncLocal]) -> None:
    renderer, other = make_local(), make_local()
    job_id = renderer.submit("local-image", prompt="shared", width=32, height=32)
    status = other.wait(job_id)
    assert status.state is JobState.SUCCEEDED
    assert status.outputs[0].path.read_bytes()[:4] == b"\x89PNG"
    other.cleanup(job_id)
    with pytest.raises(JobNotFound):
        renderer.poll(job_id)


def test_another_process_cancels_a_queued_job(make_local: Callable[..., SyncLocal]) -> None:
    renderer, other = make_local(max_parallel=1), make_local()
    blocker = renderer.submit("local-3d", prompt="blocker", render_seconds=1.5)
    queued = renderer.submit("local-3d", prompt="queued")
    assert other.poll(queued).state is JobState.QUEUED
    assert other.poll(queued).queue_position == 0
    asked = time.monotonic()
    other.cancel(queued)
    assert other.wait(queued, every=0.01).state is JobState.CANCELLED
    assert time.monotonic() - asked < 0.6
    assert other.poll(blocker).state is JobState.RUNNING  # untouched


def test_stale_heartbeat_means_the_job_is_gone(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    job_id = local.submit("local-3d", prompt="p", render_seconds=30)
    local.wait(job_id, lambda s: s.state is JobState.RUNNING)
    # What a process that died a minute ago leaves behind.
    dead = "lj_" + "0" * 32
    directory = local.jobs_dir / dead
    directory.mkdir()
    state = json.loads((local.jobs_dir / job_id / "state.json").read_bytes())
    state["heartbeat"] = time.time() - 60
    (directory / "state.json").write_text(json.dumps(state))
    with pytest.raises(JobNotFound):
        local.poll(dead)
    # A reader with a tiny threshold gives up on a live job between two heartbeats.
    impatient = make_local(stale_after_s=0.001)
    time.sleep(0.01)
    with pytest.raises(JobNotFound):
        impatient.poll(job_id)
    assert local.poll(job_id).state is JobState.RUNNING


_CHILD = """
import asyncio, sys
from pathlib import Path
from mediagate.catalog import CATALOG
from mediagate.providers import SubmitRequest
from mediagate.providers.local import LocalProvider

async def main():
    provider = LocalProvider(jobs_dir=Path(sys.argv[1]))
    spec = CATALOG.get("local-audio")
    values = spec.input_model(prompt="doomed", render_seconds=60).model_dump()
    job_id = await provider.submit(SubmitRequest("task_x", spec, values, "ref"))
    print(job_id, flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_job_of_a_killed_process_disappears(jobs_dir: Path, make_local: Callable) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(jobs_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        job_id = child.stdout.readline().strip()
        observer = make_local(stale_after_s=1.0)
        assert observer.wait(job_id, lambda s: s.state is JobState.RUNNING).progress is not None
        time.sleep(1.2)  # the child's heartbeats keep it alive past the threshold
        assert observer.poll(job_id).state is JobState.RUNNING
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        killed = time.monotonic()
        with pytest.raises(JobNotFound):
            observer.wait(job_id, timeout=3)
        assert time.monotonic() - killed < 2.0  # threshold 1 s, plus polling
    finally:
        child.kill()
        child.wait(5)


def test_closing_drops_unfinished_jobs(make_local: Callable[..., SyncLocal]) -> None:
    renderer, other = make_local(max_parallel=1), make_local()
    finished = renderer.submit("local-3d", prompt="finished")
    assert renderer.wait(finished).state is JobState.SUCCEEDED
    running = renderer.submit("local-3d", prompt="running", render_seconds=30)
    queued = renderer.submit("local-3d", prompt="queued")
    renderer.wait(running, lambda s: s.state is JobState.RUNNING)
    started = time.monotonic()
    renderer.close()
    assert time.monotonic() - started < 1.0
    for job_id in (running, queued):  # gone: the engine submits them again elsewhere
        with pytest.raises(JobNotFound):
            other.poll(job_id)
    assert other.poll(finished).state is JobState.SUCCEEDED  # finished work stays
    with pytest.raises(RetryableError):
        renderer.submit("local-3d", prompt="late")
