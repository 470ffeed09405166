"""When to try again: retry backoff and adaptive poll intervals (seconds)."""

from __future__ import annotations

import random

#: Poll intervals by how long the job has been at the provider: quick at first, then slower.
_POLL_STEPS = ((10.0, 1.0), (60.0, 2.0), (300.0, 5.0), (1800.0, 10.0))
POLL_CAP_S = 30.0
#: How far ahead a provider's ETA is trusted: polling a 60 s job at its end, not every 30 s.
ETA_CAP_S = 120.0
HINT_FLOOR_S = 0.1


def poll_interval(elapsed_s: float, hint_s: float | None = None) -> float:
    """Seconds until the next poll of a job that has run `elapsed_s`; a provider's hint wins,
    within [HINT_FLOOR_S, POLL_CAP_S]."""
    if hint_s is not None:
        return min(max(hint_s, HINT_FLOOR_S), POLL_CAP_S)
    for upto, interval in _POLL_STEPS:
        if elapsed_s < upto:
            return interval
    return POLL_CAP_S


def next_poll(
    elapsed_s: float, hint_s: float | None, eta_s: float | None, cap_s: float = ETA_CAP_S
) -> float:
    """The poll interval, moved to just after the job's expected end when an ETA is known:
    a long job is not polled every few seconds, and a finished one is seen within moments.
    Never more than `cap_s` (`MEDIAGATE_MAX_POLL_INTERVAL_SECONDS`)."""
    interval = poll_interval(elapsed_s, hint_s)
    if hint_s is not None or eta_s is None or eta_s < 0:
        return min(interval, cap_s)
    if eta_s + 0.25 < interval:  # due soon: look just after, but not more than once a second
        return min(max(eta_s + 0.25, min(interval, 1.0)), cap_s)
    return min(eta_s + 0.25, ETA_CAP_S, cap_s)


def retry_delay(attempt: int, retry_after_s: float | None = None) -> float:
    """Exponential backoff with full jitter (1, 2, 4 ... capped at 60 s) for attempt 1, 2, ...;
    a server's Retry-After is honoured (capped at 10 minutes) plus a little jitter."""
    if retry_after_s is not None and retry_after_s >= 0:
        return min(retry_after_s, 600.0) + random.uniform(0, 0.25)
    ceiling = min(60.0, 2.0 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)
