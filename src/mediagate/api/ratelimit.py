"""Per-API-key request rate limit (`MEDIAGATE_RATE_LIMIT_PER_MINUTE`), as a token bucket.

Each key may burst up to `per_minute` requests and earns them back at `per_minute / 60` a
second. A refused request costs no token and answers `429 RATE_LIMITED` with `Retry-After`
(whole seconds until the next token). It is checked after authentication, so an unknown key is
a 401 and never gets a bucket; keys are told apart by their stored hash, which the hot GET path
and the routes both have at hand. Disabled (the default), the app holds no limiter and requests
pay one `is None` check.

Where the buckets live: on PostgreSQL in the database (`SharedRateLimiter`: one atomic upsert
per request, so every API process behind a load balancer draws from one bucket per key); on
SQLite in the process (`RateLimiter`: SQLite runs one API process).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import text

from mediagate.accounts.keys import hash_key
from mediagate.config import Settings
from mediagate.core.errors import RateLimited
from mediagate.db import Database
from mediagate.db.dialect import TAKE_RATE_TOKEN

_TAKE = text(TAKE_RATE_TOKEN)

_PRUNE_AT = 4096  # buckets kept before the full ones (idle keys) are dropped


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0  # tokens a second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key hash -> (tokens, at)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter | None:
        """None when the limit is off (0); shared by the processes on PostgreSQL."""
        if not settings.rate_limit_per_minute:
            return None
        if settings.database.backend == "postgresql":
            return SharedRateLimiter(settings.rate_limit_per_minute)
        return cls(settings.rate_limit_per_minute)

    async def take(self, secret: str, db: Database) -> RateLimited | None:
        """Take a token for the (authenticated) key `secret`: None if it may go on, else the
        429 to answer. (`db` is where shared limiters keep their buckets.)"""
        return self.refusal(secret)

    def _refused(self, tokens: float) -> RateLimited:
        wait = max(1, math.ceil((1.0 - tokens) / self._rate))
        return RateLimited(
            f"too many requests for this API key (at most {self.per_minute} a minute); "
            f"retry after {wait} s",
            retry_after=wait,
        )

    def refusal(self, secret: str) -> RateLimited | None:
        """Take a token for the (authenticated) key `secret`: None if it may go on, else the
        429 to answer."""
        identity = hash_key(secret)
        now = self._clock()
        tokens, at = self._buckets.get(identity, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens >= 1.0:
            self._buckets[identity] = (tokens - 1.0, now)
            if len(self._buckets) > _PRUNE_AT:
                self._prune(now)
            return None
        self._buckets[identity] = (tokens, now)
        return self._refused(tokens)

    def _prune(self, now: float) -> None:
        """Forget keys whose bucket has refilled: a full bucket is the same as none."""
        full = [
            identity
            for identity, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate >= self._capacity
        ]
        for identity in full:
            del self._buckets[identity]


class SharedRateLimiter(RateLimiter):
    """The same buckets in the database (PostgreSQL), shared by every API process: one
    statement per request (`db.dialect.TAKE_RATE_TOKEN`), timed by the database's clock."""

    async def take(self, secret: str, db: Database) -> RateLimited | None:
        params = {
            "key": hash_key(secret),
            "capacity": self._capacity,
            "per_us": self._rate / 1_000_000,
        }
        # Committed by itself; not a task write, so none of the on-commit wake-ups.
        async with db.read() as conn:
            tokens, granted = (await conn.execute(_TAKE, params)).one()
            await conn.commit()
        return None if granted else self._refused(tokens)
