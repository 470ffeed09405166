"""The `/metrics` document: in-process metrics plus task gauges read from the store."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select

from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.tables import task_count_deltas, task_counts, tasks
from mediagate.metrics.definitions import REGISTRY
from mediagate.tasks.statuses import Status


async def render(db: Database) -> bytes:
    scrape = CollectorRegistry(auto_describe=True)
    by_status = Gauge(
        "mediagate_tasks", "Tasks by status and provider.", ["status", "provider"],
        registry=scrape,
    )  # fmt: skip
    due = Gauge(
        "mediagate_queue_depth", "Tasks due for a step now, not leased (the backlog).",
        registry=scrape,
    )  # fmt: skip
    pending = Gauge(
        "mediagate_pending_tasks", "Tasks not yet submitted to a provider.", ["provider"],
        registry=scrape,
    )  # fmt: skip
    now = now_us()
    async with db.read() as conn:
        # Totals come from the listing counts (a few rows), not from scanning tasks.
        parts = [select(t.c.status, t.c.provider, t.c.n) for t in (task_counts, task_count_deltas)]
        both = parts[0].union_all(parts[1]).subquery()
        rows = await conn.execute(
            select(both.c.status, both.c.provider, func.sum(both.c.n)).group_by(
                both.c.status, both.c.provider
            )
        )
        for status, provider, n in rows:
            by_status.labels(status, provider).set(int(n or 0))
            if status == Status.PENDING:
                pending.labels(provider).set(int(n or 0))
        backlog = await conn.scalar(
            select(func.count()).where(
                tasks.c.run_at <= now,
                (tasks.c.lease_expires_at.is_(None)) | (tasks.c.lease_expires_at <= now),
            )
        )
        due.set(int(backlog or 0))
    return generate_latest(REGISTRY) + generate_latest(scrape)
