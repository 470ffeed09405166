"""The worker loop of one process: claim due tasks, run their steps concurrently, sleep until
the next task falls due (or a wake-up), and keep leases alive while steps run (one keeper for
all of them: most steps end long before their lease needs extending)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass

from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.engine import repository
from mediagate.engine.repository import ClaimedTask
from mediagate.engine.steps import StepContext, run_step
from mediagate.engine.wakeup import Wakeup
from mediagate.metrics import CLAIM_SECONDS, STEP_SECONDS

log = logging.getLogger(__name__)
DEFAULT_PROVIDER_CONCURRENCY = 16
CLAIM_BATCH = 64
CLAIM_COOLDOWN_S = 0.005


@dataclass
class _Running:
    task: ClaimedTask
    step: asyncio.Task[None]
    lease_expires_at: int


class Worker:
    def __init__(
        self,
        ctx: StepContext,
        *,
        slots: int,
        lease_s: float,
        idle_poll_s: float,
        provider_concurrency: Mapping[str, int],
        wakeup: Wakeup,
    ) -> None:
        self.ctx = ctx
        self.slots = slots
        self.lease_us = int(lease_s * 1_000_000)
        self.idle_poll_s = idle_poll_s
        self.limits = {
            name: provider_concurrency.get(name, DEFAULT_PROVIDER_CONCURRENCY)
            for name in ctx.providers.names
        }
        self.wakeup = wakeup
        self.name = new_id("w", 9)  # in lease tokens; logged with host and pid at start
        # One entry per claimed task: a claim's lease token is shared by all its tasks.
        self._running: dict[tuple[str, str], _Running] = {}
        self._per_provider: dict[str, int] = dict.fromkeys(ctx.providers.names, 0)
        self._stopping = False

    async def run(self) -> None:
        """Until cancelled. Then in-flight steps are cancelled and their leases released, so
        other workers take those tasks over at once instead of when the leases run out."""
        log.info("worker %s on %s pid %d, %d slots", self.name, socket.gethostname(),
                 os.getpid(), self.slots)  # fmt: skip
        keeper = asyncio.create_task(self._keep_leases(), name="lease keeper")
        try:
            while not self._stopping:
                claimed = await self._claim_safely()
                if len(self._running) >= self.slots:
                    # Full: a finishing step wakes us; a moment's pause lets a few finish, so
                    # one claim fills several slots instead of one claim per slot.
                    await self.wakeup.wait(self.idle_poll_s)
                    await asyncio.sleep(CLAIM_COOLDOWN_S)
                elif not claimed:
                    await self.wakeup.wait(await self._sleep_s())
        finally:
            keeper.cancel()
            running = list(self._running.values())
            for entry in running:
                entry.step.cancel()
            if running:
                await asyncio.gather(*(e.step for e in running), return_exceptions=True)
                await self._release([e.task for e in running])

    async def _claim_safely(self) -> int:
        """Fill free slots in one claim, no provider past its concurrency limit."""
        free = min(self.slots - len(self._running), CLAIM_BATCH)
        rooms = {n: self.limits[n] - busy for n, busy in self._per_provider.items()}
        if free <= 0 or not any(room > 0 for room in rooms.values()):
            return 0
        try:
            started = time.perf_counter()
            now = now_us()
            tasks = await repository.claim(
                self.ctx.db,
                token_prefix=self.name,
                now=now,
                lease_us=self.lease_us,
                limit=free,
                rooms=rooms,
            )
            CLAIM_SECONDS.observe(time.perf_counter() - started)
        except Exception:
            log.exception("claiming tasks failed; retrying shortly")
            await asyncio.sleep(1.0)
            return 0
        for task in tasks:
            self._start(task, now + self.lease_us)
        return len(tasks)

    async def _sleep_s(self) -> float:
        """Until the next task of a provider with a free slot falls due (a finishing step
        wakes the loop, so providers at their limit need no polling)."""
        free = [n for n, busy in self._per_provider.items() if busy < self.limits[n]]
        if not free or len(self._running) >= self.slots:
            return self.idle_poll_s
        try:
            async with self.ctx.db.read() as conn:
                due = await repository.next_due(conn, free)
        except Exception:
            log.exception("reading the next due time failed")
            return self.idle_poll_s
        if due is None:
            return self.idle_poll_s
        return min(max((due - now_us()) / 1_000_000, 0.0), self.idle_poll_s)

    async def _release(self, tasks: list[ClaimedTask]) -> None:
        """Give up the leases of steps stopped midway (fenced: a step that already wrote its
        result released its lease then). The tasks stay due, and what a stopped submit left
        (its record) is reconciled by whichever worker claims the task next."""
        release = {"lease_owner": None, "lease_expires_at": None}
        results = await asyncio.gather(
            *(repository.update_leased(self.ctx.db, task, release) for task in tasks),
            return_exceptions=True,
        )
        released = sum(result is True for result in results)
        log.info("stopped %d steps; released %d leases", len(tasks), released)

    def _start(self, task: ClaimedTask, lease_expires_at: int) -> None:
        self._per_provider[task.provider] += 1
        step = asyncio.create_task(self._run(task), name=f"step {task.id}")
        key = (task.id, task.lease)
        self._running[key] = _Running(task, step, lease_expires_at)

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(key, None)
            self._per_provider[task.provider] -= 1
            self.wakeup.notify_local()  # a slot is free

        step.add_done_callback(done)

    async def _run(self, task: ClaimedTask) -> None:
        started = time.perf_counter()
        try:
            kind = await run_step(self.ctx, task)
            STEP_SECONDS.labels(task.provider, kind).observe(time.perf_counter() - started)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("step of task %s failed unexpectedly; its lease will run out", task.id)

    async def _keep_leases(self) -> None:
        """Every sixth of a lease, extend the leases of running steps that are past a third of
        theirs (all at once: the fast path batches them); a step whose lease is lost is
        stopped, and its writes would be refused anyway."""
        keep_before = self.lease_us * 2 // 3
        while True:
            await asyncio.sleep(self.lease_us / 6_000_000)
            now = now_us()
            due = [r for r in self._running.values() if r.lease_expires_at - now < keep_before]
            until = now + self.lease_us
            results = await asyncio.gather(
                *(repository.extend_lease(self.ctx.db, r.task, until) for r in due),
                return_exceptions=True,
            )
            for running, kept in zip(due, results, strict=True):
                if running.step.done():
                    continue
                if isinstance(kept, Exception):
                    log.error("extending the lease of %s failed: %s", running.task.id, kept)
                elif kept:
                    running.lease_expires_at = until
                else:
                    log.warning("lost the lease of task %s; dropping its step", running.task.id)
                    running.step.cancel()

    def stop(self) -> None:
        self._stopping = True
        self.wakeup.notify_local()
