"""The worker loop of one process: claim due jobs (task steps, or webhook deliveries: see
`engine.jobs`), run them concurrently, sleep until the next one falls due (or a wake-up), and
keep leases alive while jobs run (one keeper for all of them: most jobs end long before their
lease needs extending)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic

from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.core.throttle import LogThrottle
from mediagate.engine.jobs import J, Jobs
from mediagate.engine.wakeup import Wakeup

log = logging.getLogger(__name__)
CLAIM_BATCH = 64
CLAIM_COOLDOWN_S = 0.005
#: How often a worker records that its claim loop runs (`heartbeat`), at most.
HEARTBEAT_S = 5.0
#: A failure that repeats (the database down, its disk full) is logged once per this interval.
REPEAT_LOG_S = 60.0


@dataclass
class _Running(Generic[J]):
    job: J
    step: asyncio.Task[None]
    lease_expires_at: int


class Worker(Generic[J]):
    def __init__(
        self,
        jobs: Jobs[J],
        *,
        slots: int,
        lease_s: float,
        idle_poll_s: float,
        wakeup: Wakeup,
        heartbeat: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """`heartbeat(name)`, if given, is awaited every `HEARTBEAT_S` or so while the claim
        loop runs without a database error (the readiness check's "workers claiming")."""
        self.jobs = jobs
        self.slots = slots
        self.lease_us = int(lease_s * 1_000_000)
        self.idle_poll_s = idle_poll_s
        self.limits = dict(jobs.limits)
        self.wakeup = wakeup
        self.name = new_id("w", 9)  # in lease tokens; logged with host and pid at start
        # One entry per claimed job: a claim's lease token is shared by all its jobs.
        self._running: dict[tuple[Any, str], _Running[J]] = {}
        self._per_group: dict[str, int] = dict.fromkeys(self.limits, 0)
        self._stopping = False
        self._heartbeat = heartbeat
        self._beat_at = float("-inf")  # monotonic time of the last heartbeat
        self._throttle = LogThrottle(REPEAT_LOG_S)

    async def run(self) -> None:
        """Until cancelled. Then in-flight jobs are cancelled and their leases released, so
        other workers take them over at once instead of when the leases run out."""
        log.info("worker %s (%s jobs) on %s pid %d, %d slots", self.name, self.jobs.kind,
                 socket.gethostname(), os.getpid(), self.slots)  # fmt: skip
        keeper = asyncio.create_task(self._keep_leases(), name="lease keeper")
        try:
            while not self._stopping:
                claimed = await self._claim_safely()
                if claimed >= 0:
                    await self._beat()
                if len(self._running) >= self.slots:
                    # Full: a finishing step wakes us; a moment's pause lets a few finish, so
                    # one claim fills several slots instead of one claim per slot.
                    await self.wakeup.wait(self.idle_poll_s)
                    await asyncio.sleep(CLAIM_COOLDOWN_S)
                elif claimed <= 0:
                    await self.wakeup.wait(await self._sleep_s())
        finally:
            keeper.cancel()
            running = list(self._running.values())
            for entry in running:
                entry.step.cancel()
            if running:
                await asyncio.gather(*(e.step for e in running), return_exceptions=True)
                await self._release([e.job for e in running])

    def _log_repeating(self, what: str, exc: BaseException) -> None:
        """Log `what` failed, with its traceback the first time, then once per interval
        (saying how many times it failed meanwhile) while it keeps failing."""
        held = self._throttle.due(what)
        if held is None:
            return
        if held == 0:
            log.error("%s failed; retrying (said once a minute while it fails)", what,
                      exc_info=exc)  # fmt: skip
        else:
            log.error("%s failed %d more times in the last minute: %s: %s", what, held + 1,
                      type(exc).__name__, exc)  # fmt: skip

    def _recovered(self, what: str) -> None:
        if self._throttle.clear(what):
            log.warning("%s works again", what)

    async def _beat(self) -> None:
        if self._heartbeat is None or time.monotonic() - self._beat_at < HEARTBEAT_S:
            return
        try:
            await self._heartbeat(self.name)
        except Exception as exc:
            self._log_repeating(f"recording the heartbeat of worker {self.name}", exc)
            return
        self._beat_at = time.monotonic()

    async def _claim_safely(self) -> int:
        """Fill free slots in one claim, no group (provider) past its concurrency limit; the
        number claimed, or -1 when the claim failed."""
        free = min(self.slots - len(self._running), CLAIM_BATCH)
        rooms = {n: self.limits[n] - busy for n, busy in self._per_group.items()}
        if free <= 0 or not any(room > 0 for room in rooms.values()):
            return 0
        try:
            now = now_us()
            jobs = await self.jobs.claim(
                token_prefix=self.name, now=now, lease_us=self.lease_us, limit=free, rooms=rooms
            )
        except Exception as exc:
            self._log_repeating(f"claiming {self.jobs.kind} jobs", exc)
            await asyncio.sleep(1.0)
            return -1
        self._recovered(f"claiming {self.jobs.kind} jobs")
        for job in jobs:
            self._start(job, now + self.lease_us)
        return len(jobs)

    async def _sleep_s(self) -> float:
        """Until the next job of a group with a free slot falls due (a finishing job wakes
        the loop, so groups at their limit need no polling)."""
        free = [n for n, busy in self._per_group.items() if busy < self.limits[n]]
        if not free or len(self._running) >= self.slots:
            return self.idle_poll_s
        try:
            due = await self.jobs.next_due(free)
        except Exception as exc:
            self._log_repeating(f"reading the next due time of {self.jobs.kind} jobs", exc)
            return self.idle_poll_s
        if due is None:
            return self.idle_poll_s
        return min(max((due - now_us()) / 1_000_000, 0.0), self.idle_poll_s)

    async def _release(self, jobs: list[J]) -> None:
        """Give up the leases of jobs stopped midway (fenced: a job that already wrote its
        outcome released its lease then). The jobs stay due, and what a stopped submit left
        (its record) is reconciled by whichever worker claims the task next."""
        results = await asyncio.gather(
            *(self.jobs.write_lease(job, None) for job in jobs), return_exceptions=True
        )
        released = sum(result is True for result in results)
        log.info("stopped %d %s jobs; released %d leases", len(jobs), self.jobs.kind, released)

    def _start(self, job: J, lease_expires_at: int) -> None:
        group = self.jobs.group(job)
        self._per_group[group] += 1
        key = (self.jobs.key(job), job.lease)
        step = asyncio.create_task(self._run(job, key[0]), name=f"{self.jobs.kind} {key[0]}")
        self._running[key] = _Running(job, step, lease_expires_at)

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(key, None)
            self._per_group[group] -= 1
            self.wakeup.notify_local()  # a slot is free

        step.add_done_callback(done)

    async def _run(self, job: J, key: Any) -> None:
        try:
            await self.jobs.run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s %s failed unexpectedly; its lease will run out", self.jobs.kind, key)

    async def _keep_leases(self) -> None:
        """Every sixth of a lease, extend the leases of running jobs that are past a third of
        theirs (all at once: the fast path batches them); a job whose lease is lost is
        stopped, and its writes would be refused anyway."""
        keep_before = self.lease_us * 2 // 3
        while True:
            await asyncio.sleep(self.lease_us / 6_000_000)
            now = now_us()
            due = [r for r in self._running.values() if r.lease_expires_at - now < keep_before]
            until = now + self.lease_us
            results = await asyncio.gather(
                *(self.jobs.write_lease(r.job, until) for r in due),
                return_exceptions=True,
            )
            for running, kept in zip(due, results, strict=True):
                if running.step.done():
                    continue
                if isinstance(kept, Exception):
                    log.error("extending the lease of %s %s failed: %s", self.jobs.kind,
                              self.jobs.key(running.job), kept)  # fmt: skip
                elif kept:
                    running.lease_expires_at = until
                else:
                    log.warning("lost the lease of %s %s; dropping it", self.jobs.kind,
                                self.jobs.key(running.job))  # fmt: skip
                    running.step.cancel()

    def stop(self) -> None:
        self._stopping = True
        self.wakeup.notify_local()
