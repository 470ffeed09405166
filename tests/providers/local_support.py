"""Helpers of the local provider tests: synchronous calls into the async provider API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from mediagate.catalog import CATALOG, ModelSpec
from mediagate.providers import JobState, JobStatus, SubmitRequest
from mediagate.providers.local import LocalProvider

T = TypeVar("T")
FINAL = {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}


class SyncLocal:
    """A LocalProvider driven from plain test code, on its own event loop (one per "process")."""

    def __init__(self, jobs_dir: Path, **options: Any) -> None:
        self.provider = LocalProvider(jobs_dir=jobs_dir, **options)
        self.jobs_dir = jobs_dir
        self._loop = asyncio.new_event_loop()
        self._count = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    def submit(self, model: str | ModelSpec, *, validate: bool = True, **input: Any) -> str:
        """Submit like the engine: `input` validated, defaults filled (unless not `validate`)."""
        spec = CATALOG.get(model) if isinstance(model, str) else model
        assert spec is not None
        self._count += 1
        request = SubmitRequest(
            task_id=f"task_test{self._count}",
            model=spec,
            input=spec.input_model.model_validate(input).model_dump() if validate else input,
            client_ref=f"ref{self._count}",
        )
        return self.run(self.provider.submit(request))

    def poll(self, job_id: str) -> JobStatus:
        return self.run(self.provider.poll(job_id))

    def cancel(self, job_id: str) -> None:
        self.run(self.provider.cancel(job_id))

    def cleanup(self, job_id: str) -> None:
        self.run(self.provider.cleanup(job_id))

    def wait(
        self,
        job_id: str,
        until: Callable[[JobStatus], bool] = lambda s: s.state in FINAL,
        timeout: float = 20.0,
        every: float = 0.02,
    ) -> JobStatus:
        """Poll until `until(status)`; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.poll(job_id)
            if until(status):
                return status
            assert time.monotonic() < deadline, f"job {job_id} still {status}"
            time.sleep(every)

    def close(self) -> None:
        self.run(self.provider.aclose())

    def dispose(self) -> None:
        self.close()
        self._loop.close()


def job_files(jobs_dir: Path, job_id: str) -> list[str]:
    directory = jobs_dir / job_id
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []
