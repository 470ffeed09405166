"""The webhook sender of a worker process: deliveries run on the engine's `Worker` (claimed,
leased, fenced and released like task steps) in slots of their own, so a slow receiver never
takes a task step's slot, and at most `webhook_lane_concurrency` of one lane are in flight.

Wake-ups: PostgreSQL NOTIFY `mediagate_deliveries` (the event trigger sends it when it makes a
delivery, the API when it makes a test or a redelivery). Without NOTIFY (SQLite), this
process's commits: at most every COMMIT_WAKE_S (under load the engine commits hundreds of times
a second) a primary-key read says whether a delivery was added, and only then the sender
wakes; its claims (writes) are preceded by a read that something is claimable. Always, the
engine's fallback poll, and a finished delivery (a free slot).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import httpx

from mediagate.config import Settings
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.dialect import DELIVERIES_CHANNEL
from mediagate.engine.repository import lease_token
from mediagate.engine.wakeup import Wakeup
from mediagate.engine.worker import Worker
from mediagate.providers.egress import EgressPolicy, egress_client
from mediagate.storage import Storage
from mediagate.tasks.results import ResultLinks
from mediagate.tasks.serialize import Linker
from mediagate.webhooks import repository
from mediagate.webhooks.delivery import USER_AGENT, Prefetched, SendContext, attempt, prefetch
from mediagate.webhooks.repository import ClaimedDelivery

log = logging.getLogger(__name__)
GROUP = "webhooks"
COMMIT_WAKE_S = 0.02


class Deliveries:
    """Webhook deliveries as the engine's jobs (`engine.jobs.Jobs`)."""

    kind = "delivery"

    def __init__(self, ctx: SendContext, *, slots: int, lane_limit: int) -> None:
        self.ctx = ctx
        self.limits = {GROUP: slots}
        self.lane_limit = lane_limit
        #: Check with a read before claiming (a claim is a write: on SQLite, whose own commit
        #: would otherwise wake the sender again).
        self.check_first = False
        #: What each claim read for its deliveries, until each one runs.
        self._prefetched: dict[int, Prefetched] = {}

    async def claim(
        self, *, token_prefix: str, now: int, lease_us: int, limit: int, rooms: Mapping[str, int]
    ) -> list[ClaimedDelivery]:
        limit = min(limit, rooms.get(GROUP, 0))
        if self.check_first and not await repository.claimable(self.ctx.db, now, self.lane_limit):
            return []
        claimed = await repository.claim(
            self.ctx.db, token=lease_token(token_prefix, now), now=now, lease_us=lease_us,
            limit=limit, lane_limit=self.lane_limit,
        )  # fmt: skip
        if claimed:
            try:
                found = await prefetch(self.ctx.db, claimed)
            except Exception:  # leased already: each attempt reads for itself instead
                log.warning("reading a claim's endpoints and events failed", exc_info=True)
            else:
                for delivery in claimed:
                    self._prefetched[delivery.seq] = found
        return claimed

    def key(self, job: ClaimedDelivery) -> Hashable:
        return job.seq

    def group(self, job: ClaimedDelivery) -> str:
        return GROUP

    async def run(self, job: ClaimedDelivery) -> None:
        await attempt(self.ctx, job, self._prefetched.pop(job.seq, None))

    async def write_lease(self, job: ClaimedDelivery, until: int | None) -> bool:
        values: dict[str, Any] = {"lease_expires_at": until}
        if until is None:
            values["lease_owner"] = None
        return await repository.record(self.ctx.db, job, values)

    async def next_due(self, groups: Sequence[str]) -> int | None:
        async with self.ctx.db.read() as conn:
            return await repository.next_due(conn, now_us())


def _linker(settings: Settings, storage: Storage) -> Linker:
    """Result URLs in bodies: there is no request to take the gateway's URL from."""
    results = ResultLinks(storage, settings.url_ttl_seconds, settings.public_url)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"

    def link(stored: str, task_id: str) -> list[dict[str, Any]]:
        return results.public(stored, task_id, base)

    return link


class WebhookSender:
    def __init__(self, settings: Settings, db: Database, storage: Storage) -> None:
        self.db = db
        slots = settings.webhook_concurrency
        self.http = egress_client(
            EgressPolicy(allow_private=settings.fetch_private_urls),
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
        )
        ctx = SendContext(
            db=db,
            http=self.http,
            links=_linker(settings, storage),
            retry_delays=settings.webhook_retry_delays,
            timeout_s=settings.webhook_timeout_seconds,
        )
        self.jobs = Deliveries(ctx, slots=slots, lane_limit=settings.webhook_lane_concurrency)
        self.wakeup = Wakeup(DELIVERIES_CHANNEL)
        self.worker = Worker(
            self.jobs,
            slots=slots,
            lease_s=settings.lease_seconds,
            idle_poll_s=settings.idle_poll_seconds,
            wakeup=self.wakeup,
        )
        self._task: asyncio.Task[None] | None = None
        self._wake_due = False
        self._newest: int | None = None
        self._looking: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.wakeup.listen(self.db.url)
        if not self.wakeup.listening:
            self.jobs.check_first = True
            self.db.on_commit(self._committed)
        self._task = asyncio.create_task(self.worker.run(), name="webhook sender")

    def _committed(self) -> None:
        if not self._wake_due and self._task is not None:
            self._wake_due = True
            asyncio.get_running_loop().call_later(COMMIT_WAKE_S, self._look)

    def _look(self) -> None:
        self._looking = asyncio.create_task(self._wake_if_added())

    async def _wake_if_added(self) -> None:
        self._wake_due = False
        try:
            newest = await repository.newest(self.db)
        except Exception:  # the fallback poll looks anyway
            return
        if newest != self._newest:
            self._newest = newest
            self.wakeup.notify_local()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None  # later commits wake nothing
        await self.wakeup.close()
        await self.http.aclose()
