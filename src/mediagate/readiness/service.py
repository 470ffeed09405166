"""Can this gateway do its work now? Three checks, run together, each within `TIMEOUT_S`:

- `database`: a write commits (the `readyz` heartbeat row is upserted); fails when the
  database is down, read-only or its disk is full;
- `storage`: a small file is written to the result store and deleted (`Storage.probe_write`);
  fails when the store is full, read-only or unreachable;
- `workers`: a worker's claim loop recorded its heartbeat in the last `WORKERS_STALE_S` (each
  records one every few seconds while its claims succeed: `engine.worker`); fails when no
  worker runs, or their claims fail.

Each result sets the gauge `mediagate_ready{check}` (1 or 0). A failing check is logged once
per `REPEAT_LOG_S` while it fails (not on every probe), and once when it passes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mediagate.core.clock import now_us
from mediagate.core.throttle import LogThrottle
from mediagate.db import Database
from mediagate.metrics import READY
from mediagate.readiness import repository
from mediagate.storage import Storage

log = logging.getLogger("mediagate.readiness")

CHECKS = ("database", "storage", "workers")
TIMEOUT_S = 3.0
WORKERS_STALE_S = 30.0
REPEAT_LOG_S = 60.0


class Readiness:
    def __init__(self, db: Database, storage: Storage) -> None:
        self.db = db
        self.storage = storage
        self._throttle = LogThrottle(REPEAT_LOG_S)

    async def check(self) -> dict[str, str | None]:
        """Each check's failure (a short reason), or None where it passed."""
        probes: dict[str, Callable[[], Awaitable[None]]] = {
            "database": self._database,
            "storage": self.storage.probe_write,
            "workers": self._workers,
        }
        results = await asyncio.gather(*(_run(probe) for probe in probes.values()))
        outcome = dict(zip(probes, results, strict=True))
        for name, failure in outcome.items():
            READY.labels(name).set(0 if failure else 1)
            self._log(name, failure)
        return outcome

    async def _database(self) -> None:
        await repository.beat(self.db, "readyz", now_us())

    async def _workers(self) -> None:
        latest = await repository.latest_worker_beat(self.db)
        if latest is None:
            raise NotReady("no worker has claimed tasks yet (is any running?)")
        age_s = (now_us() - latest) / 1_000_000
        if age_s > WORKERS_STALE_S:
            raise NotReady(f"no worker has claimed tasks for {age_s:.0f} s")

    def _log(self, name: str, failure: str | None) -> None:
        if failure is None:
            if self._throttle.clear(name):
                log.warning("ready again: %s", name)
            return
        held = self._throttle.due(name)
        if held is not None:
            more = f" ({held} more failed checks in the last minute)" if held else ""
            log.error("not ready: %s: %s%s", name, failure, more)


class NotReady(Exception):
    """A check's finding, said as is."""


async def _run(probe: Callable[[], Awaitable[None]]) -> str | None:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await probe()
    except NotReady as exc:
        return str(exc)
    except TimeoutError:
        return f"no answer within {TIMEOUT_S:g} s"
    except OSError as exc:  # without the file's path: /readyz answers anyone
        return f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}"
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's own words, not SQLAlchemy's
        return f"{type(cause).__name__}: {cause}"[:300]
    return None
