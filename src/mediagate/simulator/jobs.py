"""Simulated provider jobs: what was asked, when, and the state that follows from the clock.

A job's state is not stepped by a background loop: it is computed from its age, so any
process sharing the store directory (the sandbox of several worker processes) sees the same
job. Each job is one JSON file, replaced atomically on change.
"""

from __future__ import annotations

import enum
import json
import math
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mediagate.simulator.scenarios import Scenario


@dataclass(frozen=True)
class Timing:
    """Seconds a job spends queued and running, normally and in the `slow` scenario."""

    queue_s: float = 1.0
    run_s: float = 2.0
    slow_queue_s: float = 30.0
    slow_run_s: float = 60.0
    #: Seconds per place in the queue (positions count down as the queue drains).
    queue_step_s: float = 2.0


class Phase(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    BANNED = "banned"  # content moderation of the output
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Output:
    """The file a finished job delivers (rendered small, with the requested shape)."""

    kind: str  # image, video, audio, music, model3d
    fmt: str  # png, jpeg, webp, mp4, wav, mp3, glb
    width: int = 0
    height: int = 0
    duration: float = 0.0
    #: A video with a soundtrack (the models whose real videos have sound).
    audio: bool = False


@dataclass
class SimJob:
    id: str
    provider: str
    model: str
    prompt: str
    scenario: Scenario
    outputs: list[Output]
    params: dict[str, Any] = field(default_factory=dict)  # the request, echoed in answers
    client_ref: str | None = None  # Kling's external_task_id and the like
    owner: str = ""  # the credential that created it (a job is visible to its owner only)
    created_at: float = field(default_factory=time.time)
    queue_s: float = 1.0
    run_s: float = 2.0
    cancelled_at: float | None = None

    @property
    def done_at(self) -> float:
        return self.created_at + self.queue_s + self.run_s

    def phase(self, now: float | None = None) -> Phase:
        now = time.time() if now is None else now
        if self.cancelled_at is not None:
            return Phase.CANCELLED
        age = now - self.created_at
        if age < self.queue_s:
            return Phase.QUEUED
        if age < self.queue_s + self.run_s:
            return Phase.RUNNING
        if self.scenario is Scenario.CONTENT_POLICY:
            return Phase.BANNED
        if self.scenario is Scenario.UNKNOWN:
            return Phase.UNKNOWN
        return Phase.SUCCEEDED

    def progress(self, now: float | None = None) -> int:
        """0 while queued, rising while running, 100 once done."""
        now = time.time() if now is None else now
        ran = now - self.created_at - self.queue_s
        if ran <= 0:
            return 0
        return 100 if ran >= self.run_s else min(99, int(100 * ran / self.run_s))

    def queue_position(self, step_s: float, now: float | None = None) -> int:
        now = time.time() if now is None else now
        left = self.created_at + self.queue_s - now
        return max(0, math.ceil(left / step_s)) if left > 0 else 0

    def eta_seconds(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return max(0, math.ceil(self.done_at - now))


class JobStore:
    """Jobs as files under `root/<provider>/<id>.json`."""

    def __init__(self, root: Path, timing: Timing) -> None:
        self.root = root
        self.timing = timing

    def new(
        self,
        provider: str,
        *,
        model: str,
        prompt: str,
        scenario: Scenario,
        outputs: list[Output],
        params: dict[str, Any] | None = None,
        client_ref: str | None = None,
        owner: str = "",
        job_id: str | None = None,
    ) -> SimJob:
        slow = scenario is Scenario.SLOW
        job = SimJob(
            id=job_id or secrets.token_hex(12),
            provider=provider,
            model=model,
            prompt=prompt,
            scenario=scenario,
            outputs=outputs,
            params=params or {},
            client_ref=client_ref,
            owner=owner,
            queue_s=self.timing.slow_queue_s if slow else self.timing.queue_s,
            run_s=self.timing.slow_run_s if slow else self.timing.run_s,
        )
        self.save(job)
        return job

    def _path(self, provider: str, job_id: str) -> Path | None:
        if (
            not job_id
            or len(job_id) > 200
            or any(c in job_id for c in "/\\\x00")
            or job_id[0] == "."
        ):
            return None
        return self.root / provider / f"{job_id}.json"

    def save(self, job: SimJob) -> None:
        path = self._path(job.provider, job.id)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(job)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)

    def get(self, provider: str, job_id: str, owner: str | None = None) -> SimJob | None:
        """The job, or None if unknown (or another credential's, or `lost` by its scenario)."""
        path = self._path(provider, job_id)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        data["scenario"] = Scenario(data["scenario"])
        data["outputs"] = [Output(**o) for o in data["outputs"]]
        job = SimJob(**data)
        if owner is not None and job.owner != owner:
            return None
        if job.scenario is Scenario.LOST:
            return None
        return job

    def find(self, provider: str, client_ref: str, owner: str | None = None) -> SimJob | None:
        """The job created with `client_ref` (scans: the simulator holds few jobs)."""
        folder = self.root / provider
        if not folder.is_dir():
            return None
        for path in folder.glob("*.json"):
            job = self.get(provider, path.stem, owner)
            if job is not None and job.client_ref == client_ref:
                return job
        return None

    def cancel(self, job: SimJob) -> None:
        job.cancelled_at = time.time()
        self.save(job)
