"""Job states over time in one process: pacing, progress, cancel, queueing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from local_support import FINAL, SyncLocal, job_files

from mediagate.providers import JobState


def test_render_seconds_shows_rising_progress_then_success(
    make_local: Callable[..., SyncLocal],
) -> None:
    local = make_local(stale_after_s=1.0)  # heartbeats must keep up for 2 s
    started = time.monotonic()
    job_id = local.submit("local-image", prompt="slow fox", width=64, height=64, render_seconds=2)
    seen = []
    while True:
        status = local.poll(job_id)
        if status.state in FINAL:
            break
        seen.append(status)
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    assert status.state is JobState.SUCCEEDED
    assert 2.0 <= elapsed < 3.5
    running = [s for s in seen if s.state is JobState.RUNNING]
    assert len(running) >= 10
    progress = [s.progress for s in running]
    assert progress == sorted(progress)
    assert progress[0] < 30 and progress[-1] > 70
    assert len(set(progress)) >= 5
    assert all(0 <= p <= 99 for p in progress)
    late = [s for s in running if s.progress >= 20]
    assert all(s.eta_seconds is not None and 0 <= s.eta_seconds <= 3 for s in late)
    assert all(s.poll_after_s is not None and s.poll_after_s > 0 for s in seen)


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("local-video", {"duration": 30, "width": 320, "height": 180}),  # cancelled mid-encode
        ("local-audio", {"render_seconds": 10}),  # cancelled while pacing, file already there
    ],
)
def test_cancel_mid_render(make_local: Callable[..., SyncLocal], model: str, extra: dict) -> None:
    local = make_local()
    job_id = local.submit(model, prompt="long", **extra)
    local.wait(job_id, lambda s: s.state is JobState.RUNNING and (s.progress or 0) >= 2)
    asked = time.monotonic()
    local.cancel(job_id)
    status = local.wait(job_id, every=0.01)
    assert time.monotonic() - asked < 1.0
    assert status.state is JobState.CANCELLED
    assert status.outputs == ()
    assert job_files(local.jobs_dir, job_id) == ["state.json"]  # no output, no partial file
    local.cancel(job_id)  # cancelling a final job is a no-op
    assert local.poll(job_id).state is JobState.CANCELLED


def test_queue_positions_with_one_render_slot(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local(max_parallel=1, stale_after_s=1.0)
    first = local.submit("local-3d", prompt="first", render_seconds=1.2)
    second = local.submit("local-3d", prompt="second", render_seconds=0.3)
    third = local.submit("local-3d", prompt="third")
    local.wait(first, lambda s: s.state is JobState.RUNNING)
    assert local.poll(second).state is JobState.QUEUED
    assert local.poll(second).queue_position == 0
    assert local.poll(third).queue_position == 1
    assert local.poll(third).eta_seconds is None
    time.sleep(1.1)  # queued jobs keep a fresh heartbeat while they wait
    assert local.poll(third).state is JobState.QUEUED

    local.wait(second, lambda s: s.state is JobState.RUNNING)
    assert local.poll(first).state is JobState.SUCCEEDED
    assert local.poll(third).queue_position == 0
    for job_id in (second, third):
        assert local.wait(job_id).state is JobState.SUCCEEDED


def test_cancel_while_queued_never_renders(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local(max_parallel=1)
    blocker = local.submit("local-3d", prompt="blocker", render_seconds=1)
    waiting = local.submit("local-3d", prompt="waiting")
    last = local.submit("local-3d", prompt="last")
    assert local.poll(last).queue_position == 1
    local.cancel(waiting)
    assert local.poll(waiting).state is JobState.CANCELLED  # at once: it had not started
    assert local.poll(last).queue_position == 0
    assert local.wait(last).state is JobState.SUCCEEDED
    assert local.poll(blocker).state is JobState.SUCCEEDED
    assert job_files(local.jobs_dir, waiting) == ["state.json"]
