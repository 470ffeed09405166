"""Background upkeep of the task store that every process may run (it is safe to run twice)."""

from __future__ import annotations

import asyncio
import logging

from mediagate.db import Database, dialect

log = logging.getLogger(__name__)


async def compact_counts(db: Database) -> int:
    """Fold pending listing-total deltas into the per-day counts until none are left."""
    folded = 0
    while True:
        async with db.write() as conn:
            changed = await dialect.compact_task_counts(conn)
        if changed == 0:
            return folded
        folded += changed


async def run_forever(db: Database, interval_s: float = 2.0) -> None:
    """Compact every `interval_s` until cancelled; a failing database is logged, not fatal."""
    while True:
        try:
            await compact_counts(db)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("compacting task counts failed; will retry")
        await asyncio.sleep(interval_s)
