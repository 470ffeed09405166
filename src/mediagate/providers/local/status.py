"""A job's record on disk, as the provider interface's JobStatus."""

from __future__ import annotations

import time
from pathlib import Path

from mediagate.providers.base import JobNotFound, JobOutput, JobState, JobStatus

from .jobfiles import JobRecord, State

_QUEUED_POLL_S = 1.0
_MIN_POLL_S, _MAX_POLL_S = 0.2, 5.0


def job_status(
    record: JobRecord, directory: Path, *, stale_after: float, now: float | None = None
) -> JobStatus:
    """Raises JobNotFound when the job's process died (stale heartbeat) or its output is gone,
    so the engine starts it again (the local provider is resubmit-safe)."""
    now = time.time() if now is None else now
    state = record.state
    if not state.final and now - record.heartbeat > stale_after:
        raise JobNotFound("the process rendering this local job stopped")
    if state is State.QUEUED:
        return JobStatus(
            JobState.QUEUED, progress=0, queue_position=record.queue_position,
            poll_after_s=_QUEUED_POLL_S,
        )  # fmt: skip
    if state is State.RUNNING:
        eta = _eta(record, now)
        hint = _MIN_POLL_S if eta is None else min(_MAX_POLL_S, max(_MIN_POLL_S, eta / 2))
        return JobStatus(
            JobState.RUNNING, progress=record.progress, eta_seconds=eta, poll_after_s=hint
        )
    if state is State.SUCCEEDED:
        output = directory / record.output if record.output else None
        if output is None or output.name != record.output or not output.is_file():
            raise JobNotFound("the output of this local job is gone")
        return JobStatus(JobState.SUCCEEDED, progress=100, outputs=(JobOutput(path=output),))
    if state is State.FAILED:
        return JobStatus(
            JobState.FAILED, progress=record.progress,
            error_code=record.error_code or "INTERNAL_ERROR",
            error_message=record.error_message or "the local render failed",
        )  # fmt: skip
    return JobStatus(JobState.CANCELLED, progress=record.progress)


def _eta(record: JobRecord, now: float) -> int | None:
    """Seconds left at the rate progress has been made since the render started."""
    if record.started_at is None or record.progress <= 0:
        return None
    elapsed = max(0.0, now - record.started_at)
    return max(0, round(elapsed * (100 - record.progress) / record.progress))
