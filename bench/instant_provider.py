"""Benchmark providers, loaded as plugins (`MEDIAGATE_PROVIDER_PLUGINS`):

- `instant_provider:make`: jobs done at once (one small PNG), to measure the engine itself;
- `instant_provider:make_sixty`: jobs that run 60 s and report an ETA, for the capacity run.
  Each job records when it finished (`finished_at`), so the lag until mediagate shows the task
  `succeeded` can be measured.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict

from mediagate.catalog.spec import ModelSpec, Price
from mediagate.providers import JobOutput, JobState, JobStatus, Provider, SubmitRequest


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str


class InstantProvider(Provider):
    name = "instant"
    first_poll_s = 0.0
    run_s = 0.0

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.output = root / f"{self.name}.png"
        if not self.output.exists():
            Image.new("RGB", (32, 32), (10, 120, 200)).save(self.output)

    def models(self) -> list[ModelSpec]:
        return [ModelSpec(f"{self.name}-image", "image", self.name, "benchmark", _Input,
                          Price(0.01, "image"))]  # fmt: skip

    async def submit(self, request: SubmitRequest) -> str:
        # The job id carries its start (ms), so any process, and the benchmark reading the
        # database, knows when the job finishes: start + run_s.
        return f"job-{request.task_id}-{int(time.time() * 1000)}"

    async def poll(self, job_id: str) -> JobStatus:
        started = started_at(job_id)
        left = started + self.run_s - time.time()
        if left > 0:
            return JobStatus(JobState.RUNNING, progress=int(100 * (1 - left / self.run_s)),
                             eta_seconds=math.ceil(left))  # fmt: skip
        return JobStatus(JobState.SUCCEEDED, outputs=[JobOutput(path=self.output)])


class SixtySecondProvider(InstantProvider):
    name = "sixty"
    first_poll_s = None
    run_s = 60.0


def started_at(job_id: str) -> float:
    return int(job_id.rsplit("-", 1)[1]) / 1000


def make(settings: Any) -> InstantProvider:
    return InstantProvider(Path(settings.data_dir) / "bench-provider")


def make_sixty(settings: Any) -> SixtySecondProvider:
    return SixtySecondProvider(Path(settings.data_dir) / "bench-provider")
