"""What a `Worker` runs: a kind of leased job behind one protocol, so that task steps and
webhook deliveries share one scheduler (the claim loop, the slots, the lease keeper, the
release on stop) and differ only in their claim, their work and the table they fence."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import Protocol, TypeVar

from mediagate.engine import repository
from mediagate.engine.repository import ClaimedTask
from mediagate.engine.steps import StepContext, run_step
from mediagate.metrics import CLAIM_SECONDS, STEP_SECONDS

DEFAULT_PROVIDER_CONCURRENCY = 16

log = logging.getLogger("mediagate.engine")


class Leased(Protocol):
    """A claimed job: `lease` is the token of its claim, fencing every write of it."""

    @property
    def lease(self) -> str: ...


J = TypeVar("J", bound=Leased)


class Jobs(Protocol[J]):
    #: Names the jobs in logs ("step", "delivery").
    kind: str
    #: Concurrent jobs per group (a provider's steps) in one process.
    limits: Mapping[str, int]

    async def claim(
        self, *, token_prefix: str, now: int, lease_us: int, limit: int, rooms: Mapping[str, int]
    ) -> list[J]:
        """Lease up to `limit` due jobs, at most `rooms[g]` of group `g`; the lease token is
        `<token_prefix>:<now>`."""

    def key(self, job: J) -> Hashable:
        """The job's row (one entry per row and claim among the running jobs)."""

    def group(self, job: J) -> str: ...

    async def run(self, job: J) -> None:
        """Do the job and write its outcome, fenced by its lease."""

    async def write_lease(self, job: J, until: int | None) -> bool:
        """Extend the lease to `until`, or give it up (None); False if it was lost."""

    async def next_due(self, groups: Sequence[str]) -> int | None:
        """When the next job of `groups` falls due (None: nothing scheduled)."""


class TaskSteps:
    """Task steps: claimed by provider shares (fresh tasks in turns between accounts, at most
    `account_concurrency` of an account in flight at a provider unless the account says
    otherwise; 0: no limit), run by `steps.run_step`."""

    kind = "step"

    def __init__(
        self,
        ctx: StepContext,
        provider_concurrency: Mapping[str, int],
        account_concurrency: int = 0,
    ) -> None:
        self.ctx = ctx
        self.account_concurrency = account_concurrency
        self.limits = {
            name: provider_concurrency.get(name, DEFAULT_PROVIDER_CONCURRENCY)
            for name in ctx.providers.names
        }

    async def claim(
        self, *, token_prefix: str, now: int, lease_us: int, limit: int, rooms: Mapping[str, int]
    ) -> list[ClaimedTask]:
        started = time.perf_counter()
        tasks = await repository.claim(
            self.ctx.db, token_prefix=token_prefix, now=now, lease_us=lease_us, limit=limit,
            rooms=rooms, default_concurrency=self.account_concurrency,
        )  # fmt: skip
        CLAIM_SECONDS.observe(time.perf_counter() - started)
        return tasks

    def key(self, job: ClaimedTask) -> Hashable:
        return job.id

    def group(self, job: ClaimedTask) -> str:
        return job.provider

    async def run(self, job: ClaimedTask) -> None:
        started = time.perf_counter()
        kind = await run_step(self.ctx, job)
        elapsed = time.perf_counter() - started
        STEP_SECONDS.labels(job.provider, kind).observe(elapsed)
        # One line per step, so an operator can follow a task (`grep task_...`).
        log.info(
            "task %s: %s step %s",
            job.id,
            kind,
            "failed" if kind == "error" else "done",
            extra={
                "task_id": job.id,
                "provider": job.provider,
                "model": job.model,
                "step": kind,
                "outcome": "error" if kind == "error" else "ok",
                "status": job.status,
                "attempt": job.attempts + 1,
                "ms": round(elapsed * 1000, 1),
            },
        )

    async def write_lease(self, job: ClaimedTask, until: int | None) -> bool:
        if until is None:
            release = {"lease_owner": None, "lease_expires_at": None}
            return await repository.update_leased(self.ctx.db, job, release)
        return await repository.extend_lease(self.ctx.db, job, until)

    async def next_due(self, groups: Sequence[str]) -> int | None:
        async with self.ctx.db.read() as conn:
            return await repository.next_due(conn, groups, self.account_concurrency)
