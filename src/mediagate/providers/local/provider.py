"""The offline `local` provider: renders in this process, keeps its jobs in a directory.

Any process sharing the directory can poll or cancel a job that another started: the job's
state lives in `<jobs_dir>/<job_id>/state.json`, a cancel is a marker file there, and a job
whose heartbeat stops (its process died) is reported gone, so the engine submits it again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mediagate.catalog.local_models import LOCAL_MODELS
from mediagate.catalog.spec import ModelSpec
from mediagate.providers.base import (
    JobNotFound,
    JobStatus,
    Provider,
    ProviderError,
    RetryableError,
    SubmitRequest,
)

from .housekeeping import sweep
from .jobfiles import (
    JobRecord,
    State,
    job_dir,
    new_job_id,
    read_state,
    request_cancel,
    write_state,
)
from .jobs import LocalJob
from .pool import PoolClosed, RenderPool
from .renders import RenderPlan, plan_render
from .status import job_status


class LocalProvider(Provider):
    name = "local"
    resubmit_safe = True
    supports_cancel = True
    first_poll_s = 0.2

    def __init__(
        self,
        jobs_dir: Path,
        *,
        max_parallel: int | None = None,
        stale_after_s: float = 10.0,
        retention_s: float = 24 * 3600.0,
        close_timeout_s: float = 5.0,
    ) -> None:
        """`max_parallel` renders at once in this process (default: one per CPU); a job not
        final whose heartbeat is older than `stale_after_s` is reported gone; job directories
        are removed `retention_s` after their last heartbeat if nobody cleaned them up."""
        if stale_after_s <= 0:
            raise ValueError("stale_after_s must be positive")
        self.jobs_dir = Path(jobs_dir)
        self.stale_after_s = stale_after_s
        self.retention_s = retention_s
        self.close_timeout_s = close_timeout_s
        self._owner = f"pid {os.getpid()} / {id(self):x}"
        self._models = {spec.id: spec for spec in LOCAL_MODELS}
        self._pool = RenderPool(
            max_parallel if max_parallel is not None else os.cpu_count() or 1,
            heartbeat_every=min(1.0, stale_after_s / 3),
            housekeeping=self._sweep,
        )
        self._closed = False

    def models(self) -> Sequence[ModelSpec]:
        return LOCAL_MODELS

    async def submit(self, request: SubmitRequest) -> str:
        plan = self._plan(request.model.id, request.input)
        return await asyncio.to_thread(self._start, request.model.id, plan)

    async def poll(self, job_id: str) -> JobStatus:
        return await asyncio.to_thread(self._poll, job_id)

    async def cancel(self, job_id: str) -> None:
        await asyncio.to_thread(self._cancel, job_id)

    async def cleanup(self, job_id: str) -> None:
        """Delete the job's directory (the engine has copied its output)."""
        await asyncio.to_thread(self._cleanup, job_id)

    async def aclose(self) -> None:
        """Stop accepting jobs and stop this process's renders (their jobs disappear, so they
        are submitted again elsewhere), waiting at most `close_timeout_s` for the threads."""
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, self.close_timeout_s)

    # -- the work, off the event loop ------------------------------------------------------

    def _plan(self, model_id: str, params: Mapping[str, Any]) -> RenderPlan:
        spec = self._models.get(model_id)
        if spec is None:
            raise ProviderError("INVALID_INPUT", f"the local provider has no model {model_id!r}")
        try:  # normally validated already; this also fills defaults for direct callers
            values = spec.input_model.model_validate(dict(params)).model_dump()
        except ValidationError as exc:
            raise ProviderError("INVALID_INPUT", f"invalid input: {exc}") from None
        return plan_render(model_id, values)

    def _start(self, model_id: str, plan: RenderPlan) -> str:
        if self._closed:
            raise RetryableError("the local provider is shutting down")
        job_id = new_job_id()
        directory = self.jobs_dir / job_id
        now = time.time()
        record = JobRecord(model=model_id, created_at=now, heartbeat=now, owner=self._owner)
        try:
            directory.mkdir(parents=True)
            write_state(directory, record)
        except OSError as exc:
            shutil.rmtree(directory, ignore_errors=True)
            raise RetryableError(f"cannot create the local job directory: {exc}") from None
        try:
            self._pool.submit(LocalJob(job_id, directory, plan, record))
        except PoolClosed:
            shutil.rmtree(directory, ignore_errors=True)
            raise RetryableError("the local provider is shutting down") from None
        return job_id

    def _directory(self, job_id: str) -> Path:
        directory = job_dir(self.jobs_dir, job_id)
        if directory is None:
            raise JobNotFound("not a local job id")
        return directory

    def _poll(self, job_id: str) -> JobStatus:
        directory = self._directory(job_id)
        record = read_state(directory)
        if record is None:
            raise JobNotFound()
        return job_status(record, directory, stale_after=self.stale_after_s)

    def _cancel(self, job_id: str) -> None:
        directory = self._directory(job_id)
        job = self._pool.get(job_id)
        if job is not None:  # ours: stop it directly
            job.cancel()
            if self._pool.withdraw(job):
                job.finish(State.CANCELLED)
            return
        record = read_state(directory)
        if record is None:
            raise JobNotFound()
        if record.state.final:
            return
        try:  # another process's job: it notices the marker
            request_cancel(directory)
        except FileNotFoundError:
            raise JobNotFound() from None

    def _cleanup(self, job_id: str) -> None:
        directory = self._directory(job_id)
        job = self._pool.get(job_id)
        if job is not None:
            job.abandon()
        shutil.rmtree(directory, ignore_errors=True)

    def _sweep(self) -> None:
        sweep(self.jobs_dir, retention_s=self.retention_s)
