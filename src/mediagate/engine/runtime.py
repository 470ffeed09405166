"""The engine of one process: its providers, storage, HTTP client, worker loop, and the
webhook sender (a second worker loop, with slots of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from mediagate.config import Settings
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.engine.jobs import TaskSteps
from mediagate.engine.steps import StepContext
from mediagate.engine.wakeup import Wakeup
from mediagate.engine.worker import Worker
from mediagate.providers.egress import EgressPolicy, egress_client
from mediagate.providers.registry import ProviderSet
from mediagate.readiness import repository as readiness
from mediagate.storage import Storage
from mediagate.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        storage: Storage,
        providers: ProviderSet,
        wakeup: Wakeup,
    ) -> None:
        self.settings = settings
        self.db = db
        self.wakeup = wakeup
        # Provider outputs: public addresses, or the hosts the operator configured providers at.
        policy = EgressPolicy(
            allow_private=settings.fetch_private_urls, trusted_hosts=providers.configured_hosts()
        )
        self.http = egress_client(
            policy, timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True
        )
        self.providers = providers
        ctx = StepContext(
            db=db,
            providers=providers,
            storage=storage,
            http=self.http,
            work_dir=settings.data_dir / "tmp",
            max_attempts=settings.max_attempts,
            max_result_bytes=settings.max_result_bytes,
            max_poll_interval_s=settings.max_poll_interval_seconds,
        )
        self.worker = Worker(
            TaskSteps(ctx, settings.provider_concurrency, settings.account_concurrency),
            slots=settings.workers,
            lease_s=settings.lease_seconds,
            idle_poll_s=settings.idle_poll_seconds,
            wakeup=wakeup,
            heartbeat=self._heartbeat,
        )
        self.webhooks = (
            WebhookSender(settings, db, storage) if settings.webhook_concurrency > 0 else None
        )
        self._task: asyncio.Task[None] | None = None

    async def _heartbeat(self, worker_name: str) -> None:
        """The step worker's claim loop runs: what `/readyz` reads as "workers claiming"."""
        await readiness.beat(self.db, f"worker:{worker_name}", now_us(), forget=True)

    async def start(self) -> None:
        await self.wakeup.listen(self.db.url)
        self._task = asyncio.create_task(self.worker.run(), name="engine")
        if self.webhooks is not None:
            await self.webhooks.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.webhooks is not None:
            await self.webhooks.stop()
        await self.wakeup.close()
        await self.http.aclose()
