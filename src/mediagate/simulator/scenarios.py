"""Failure scenarios, chosen per request by a marker in the prompt: `[sim:rate_limit]`.

- `content_policy`: refuses or bans the job for its content, in the provider's own words;
- `rate_limit`: 429 with `Retry-After` for the first submits of the prompt and the first polls
  of its job, then normal answers;
- `server_error`: the same with 5xx answers;
- `lost`: accepts the job, then no longer knows it;
- `unknown`: the job ends in the provider's "unknown" status (or one it does not document);
- `slow`: a long queue (with positions) and a long run (with progress);
- `malformed`: polls answer with bodies that are not the documented JSON;
- `hang`: polls never answer (the connection stays open);
- `hang_submit`: the submit creates the job, then never answers (a lost answer: the gateway
  must find the job by its client reference rather than submit again; providers without such
  a lookup ignore it).
"""

from __future__ import annotations

import enum
import re
import threading
from collections import Counter


class Scenario(enum.StrEnum):
    NORMAL = "normal"
    CONTENT_POLICY = "content_policy"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    LOST = "lost"
    UNKNOWN = "unknown"
    SLOW = "slow"
    MALFORMED = "malformed"
    HANG = "hang"
    HANG_SUBMIT = "hang_submit"


_MARKER = re.compile(r"\[sim:([a-z_]+)\]")
#: How many answers of a run of 429s / 5xx: per submit of a prompt, and per job's polls.
RUN_LENGTH = 2
RETRY_AFTER_S = 1


def scenario_of(*texts: object) -> Scenario:
    """The first known marker in any of `texts` (prompts, or anything else a client sent)."""
    for text in texts:
        if not isinstance(text, str):
            continue
        for name in _MARKER.findall(text):
            try:
                return Scenario(name)
            except ValueError:
                continue
    return Scenario.NORMAL


class Runs:
    """Counts answers per key, so a run of failures ends: `fail_now(key)` is True for the
    first RUN_LENGTH calls with a key, then False."""

    def __init__(self, length: int = RUN_LENGTH) -> None:
        self.length = length
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def fail_now(self, key: str) -> bool:
        with self._lock:
            self._seen[key] += 1
            return self._seen[key] <= self.length
