"""Timestamps are stored as integer microseconds since the Unix epoch (UTC) on every backend.

One representation for SQLite and PostgreSQL keeps comparisons, keyset cursors and the engine's
time arithmetic identical on both, and needs no timezone handling in the drivers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_us() -> int:
    return time.time_ns() // 1000


def iso_from_us(us: int | None) -> str | None:
    """`2026-01-15T10:00:32Z` (the contract's format, whole seconds)."""
    if us is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))


def us_from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1_000_000)


def parse_iso(text: str) -> int:
    """Parse an ISO 8601 date or date-time into microseconds; naive values are UTC.

    Raises ValueError on anything else.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return us_from_datetime(datetime.fromisoformat(text))
