"""The on-disk form of a local job, shared by every process using one jobs directory.

`<jobs_dir>/<job_id>/state.json` holds the job's record (rewritten atomically, so a reader sees
the old or the new record, never a mix), `cancel` is the cancel marker any process may create,
and `output.<ext>` appears when the render succeeds.
"""

from __future__ import annotations

import enum
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
CANCEL_FILE = "cancel"
_JOB_ID = re.compile(r"lj_[0-9a-f]{32}")


class State(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (State.SUCCEEDED, State.FAILED, State.CANCELLED)


@dataclass
class JobRecord:
    """What `state.json` says. Times are Unix seconds (wall clock: compared across processes)."""

    model: str
    state: State = State.QUEUED
    progress: int = 0  # 0-100
    queue_position: int | None = None  # jobs waiting ahead of this one in its process
    created_at: float = 0.0
    started_at: float | None = None
    heartbeat: float = 0.0  # refreshed at least every second while the job is not final
    output: str | None = None  # file name inside the job directory, once SUCCEEDED
    error_code: str | None = None
    error_message: str | None = None
    owner: str = ""  # pid and instance of the process rendering it (for humans)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> JobRecord:
        raw: dict[str, Any] = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("job state is not an object")
        known = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        record = cls(**known)
        record.state = State(record.state)
        numbers = (record.progress, record.created_at, record.heartbeat)
        optional = (record.started_at, record.queue_position)
        if not all(map(_is_number, numbers)) or not all(
            n is None or _is_number(n) for n in optional
        ):
            raise ValueError("job state has non-numeric times, progress or position")
        texts = (record.output, record.error_code, record.error_message)
        if not all(t is None or isinstance(t, str) for t in texts):
            raise ValueError("job state has non-text output or error fields")
        return record


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def new_job_id() -> str:
    return f"lj_{secrets.token_hex(16)}"


def job_dir(jobs_dir: Path, job_id: object) -> Path | None:
    """The directory of `job_id`, or None for anything this provider could not have issued
    (so a hostile id never becomes a path outside `jobs_dir`)."""
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        return None
    return jobs_dir / job_id


def is_job_dir_name(name: str) -> bool:
    return bool(_JOB_ID.fullmatch(name))


def write_state(directory: Path, record: JobRecord) -> None:
    """Replace `state.json` atomically (write a private temporary file, then rename)."""
    tmp = directory / f".state-{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        tmp.write_bytes(record.to_json())
        os.replace(tmp, directory / STATE_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_state(directory: Path) -> JobRecord | None:
    """The job's record; None if the job directory or its state file is missing or unreadable."""
    try:
        return JobRecord.from_json((directory / STATE_FILE).read_bytes())
    except (OSError, ValueError, TypeError):
        return None


def request_cancel(directory: Path) -> None:
    (directory / CANCEL_FILE).touch()


def cancel_requested(directory: Path) -> bool:
    return (directory / CANCEL_FILE).exists()
