"""Run-time estimates per model from the tasks this process saw finish, for an ETA where the
provider gives none."""

from __future__ import annotations

_ALPHA = 0.2  # weight of the newest observation in the moving average


class RunTimes:
    def __init__(self) -> None:
        self._avg: dict[str, float] = {}

    def observe(self, model: str, seconds: float) -> None:
        if seconds < 0:
            return
        old = self._avg.get(model)
        self._avg[model] = seconds if old is None else old + _ALPHA * (seconds - old)

    def eta(self, model: str, running_for_s: float) -> int | None:
        """Seconds left for a job of `model` running `running_for_s`; None if nothing is known."""
        avg = self._avg.get(model)
        if avg is None:
            return None
        return max(1, round(avg - running_for_s))


RUN_TIMES = RunTimes()
