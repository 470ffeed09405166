"""Background upkeep of the task store that every process may run (it is safe to run twice)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update

from mediagate.core.clock import now_us
from mediagate.core.throttle import LogThrottle
from mediagate.db import Database, dialect
from mediagate.db.tables import tasks
from mediagate.storage import Storage
from mediagate.tasks.statuses import Status

log = logging.getLogger(__name__)


async def compact_counts(db: Database, max_passes: int = 20) -> int:
    """Fold pending listing-total deltas into the per-day counts, batch by batch, until none are
    left or `max_passes` batches are done (so that a steady stream of new tasks cannot keep
    one call, and the upkeep after it, from ever finishing)."""
    folded = 0
    for _ in range(max_passes):
        async with db.write() as conn:
            changed = await dialect.compact_task_counts(conn)
        if changed == 0:
            break
        folded += changed
    return folded


async def expire_results(
    db: Database, storage: Storage, retention_us: int, batch: int = 100
) -> int:
    """Delete the files of tasks that succeeded more than `retention_us` ago and mark them
    `expired`. Files go first: a crash in between leaves a task that is expired again later."""
    expired = 0
    cutoff = now_us() - retention_us
    while True:
        async with db.read() as conn:
            rows = (
                await conn.execute(
                    select(tasks.c.id, tasks.c.account_id)
                    .where(tasks.c.status == Status.SUCCEEDED, tasks.c.completed_at < cutoff)
                    .order_by(tasks.c.completed_at)
                    .limit(batch)
                )
            ).all()
        if not rows:
            return expired
        for task_id, account_id in rows:
            await storage.delete_prefix(f"{account_id}/{task_id}/")
        async with db.write() as conn:
            result = await conn.execute(
                update(tasks)
                .where(tasks.c.id.in_([r[0] for r in rows]), tasks.c.status == Status.SUCCEEDED)
                .values(
                    status=Status.EXPIRED,
                    result=None,
                    error_code="RESULT_UNAVAILABLE",
                    error_message="the result files were deleted after the retention period",
                    updated_at=now_us(),
                )
            )
        expired += result.rowcount
        if len(rows) < batch:
            return expired


async def run_forever(
    db: Database,
    storage: Storage | None = None,
    retention_us: int | None = None,
    interval_s: float = 2.0,
    retention_every_s: float = 60.0,
) -> None:
    """Compact counts every `interval_s` and expire old results every `retention_every_s`,
    until cancelled; a failing database is logged, not fatal."""
    last_retention = 0.0
    loop = asyncio.get_running_loop()
    throttle = LogThrottle(60.0)  # an outage is said once a minute, not every pass
    while True:
        try:
            await compact_counts(db)
            due = loop.time() - last_retention >= retention_every_s
            if storage is not None and retention_us is not None and due:
                last_retention = loop.time()
                await expire_results(db, storage, retention_us)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            held = throttle.due("failed")
            if held == 0:
                log.exception("housekeeping failed; will retry (said once a minute)")
            elif held is not None:
                log.error("housekeeping failed %d more times: %s: %s", held + 1,
                          type(exc).__name__, exc)  # fmt: skip
        else:
            if throttle.clear("failed"):
                log.warning("housekeeping works again")
        await asyncio.sleep(interval_s)
