"""When a failed webhook delivery is tried again: the retry schedule
(`MEDIAGATE_WEBHOOK_RETRY_SCHEDULE`, parsed strictly), its jitter, and a receiver's
`Retry-After`."""

from __future__ import annotations

import random
import re
from email.utils import parsedate_to_datetime

DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DELAY = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
MAX_RETRIES = 50
MAX_DELAY_S = 7 * 86400.0
#: A receiver's Retry-After is honoured up to a day (a bigger one would park the delivery).
RETRY_AFTER_CAP_S = 86400.0
#: Each delay is stretched by up to this fraction, so retries of many deliveries that failed
#: together (a receiver's outage) do not all come back at once; never shortened.
JITTER = 0.2


def parse_schedule(text: str) -> tuple[float, ...]:
    """`5s,5m,30m,2h` -> the delays in seconds before each retry. ValueError says what is
    wrong with the text."""
    if not text.strip():
        raise ValueError("is empty; write the delays before each retry, e.g. 5s,5m,30m,2h")
    delays = []
    for item in (part.strip() for part in text.split(",")):
        match = _DELAY.fullmatch(item)
        if match is None:
            raise ValueError(
                f"{item[:40]!r} is not a delay; write a number and a unit (ms, s, m, h or d) "
                "for each retry, comma-separated, e.g. 5s,5m,30m,2h"
            )
        seconds = float(match[1]) * _UNITS[match[2]]
        if seconds > MAX_DELAY_S:
            raise ValueError(f"{item!r} is longer than 7 days")
        delays.append(seconds)
    if len(delays) > MAX_RETRIES:
        raise ValueError(f"has {len(delays)} retries; at most {MAX_RETRIES} are allowed")
    return tuple(delays)


def retry_delay(
    delays: tuple[float, ...], attempts: int, retry_after_s: float | None
) -> float | None:
    """Seconds to wait after the `attempts`-th try failed; None when no retry is left. Never
    less than the receiver's `Retry-After`."""
    if attempts > len(delays):
        return None
    delay = delays[attempts - 1] * (1 + random.uniform(0, JITTER))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, RETRY_AFTER_CAP_S))
    return delay


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """A `Retry-After` header (seconds, or an HTTP date) as seconds from `now_s`; None when
    absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now_s, 0.0)
