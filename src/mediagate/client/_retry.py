"""When to try again, and how long to wait first."""

from __future__ import annotations

import random
import time

from mediagate.client._config import RetryPolicy
from mediagate.client._effects import Reply, Sleep
from mediagate.client._parse import retry_after
from mediagate.client.errors import MediagateError

#: Answers worth another try of a safe call: rate limited, or the gateway in trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Attempts:
    """The retries of one call: `pause(error, delay)` is the Sleep before the next try, or
    raises `error` when no try is left (retries used up, not retryable, or past `deadline`)."""

    def __init__(
        self, policy: RetryPolicy, rng: random.Random, deadline: float | None = None
    ) -> None:
        self.policy = policy
        self.rng = rng
        self.deadline = deadline
        self.retries = 0

    def delay_after(self, reply: Reply) -> float | None:
        """How long to wait after a retryable answer: its Retry-After (with a little jitter)
        when it sends one, else the backoff; None when Retry-After asks for too long."""
        hinted = retry_after(reply.headers) if reply.status in (429, 503) else None
        if hinted is None:
            return self.backoff()
        if hinted > self.policy.max_retry_after:
            return None
        return hinted + self.rng.uniform(0, min(1.0, hinted * 0.1))

    def backoff(self) -> float:
        return self.policy.backoff(self.retries, self.rng)

    def pause(self, error: MediagateError, delay: float | None) -> Sleep:
        if delay is None or self.retries >= self.policy.max_retries:
            raise error
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            raise error
        self.retries += 1
        return Sleep(delay)
