"""Saying a repeating failure once per interval instead of on every retry."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class LogThrottle:
    """`due(key)` is the number of times `key` was held back since it was last let through
    (0 the first time), or None while the interval since then has not passed: a loop that
    fails every second logs once a minute, saying how often it failed meanwhile."""

    def __init__(self, interval_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self._clock = clock
        self._said: dict[Hashable, tuple[float, int]] = {}  # key -> (when said, held since)

    def due(self, key: Hashable) -> int | None:
        now = self._clock()
        said = self._said.get(key)
        if said is not None and now - said[0] < self.interval_s:
            self._said[key] = (said[0], said[1] + 1)
            return None
        self._said[key] = (now, 0)
        return said[1] if said is not None else 0

    def clear(self, key: Hashable) -> bool:
        """Forget `key` (it recovered); True if it had been said."""
        return self._said.pop(key, None) is not None
