"""Plumbing shared by the renderers: prompt seeding, progress/cancel reporting, atomic output."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import RenderCancelled

ProgressFn = Callable[[float], None]
StopFn = Callable[[], bool]
PathLike = str | os.PathLike[str]

# In-flight progress stays below 1.0: 1.0 means "the file is complete at its final path".
_MAX_IN_FLIGHT = 0.99


def rng_for(kind: str, prompt: str) -> random.Random:
    """A PRNG seeded by the prompt (and the kind of media, so kinds do not correlate)."""
    data = f"mediagate/{kind}\x00{prompt}".encode("utf-8", "surrogatepass")
    return random.Random(int.from_bytes(hashlib.sha256(data).digest(), "big"))


class Control:
    """Monotonic progress reporting and cooperative cancellation for one render."""

    __slots__ = ("_last", "_progress", "_should_stop")

    def __init__(self, progress: ProgressFn | None, should_stop: StopFn | None) -> None:
        self._progress = progress
        self._should_stop = should_stop
        self._last = -1.0

    def check(self) -> None:
        """Raise RenderCancelled if the caller asked to stop."""
        if self._should_stop is not None and self._should_stop():
            raise RenderCancelled("render cancelled")

    def report(self, fraction: float) -> None:
        """Report work done so far (clamped below 1.0 until `finish`)."""
        self._emit(min(max(fraction, 0.0), _MAX_IN_FLIGHT))

    def finish(self) -> None:
        self._emit(1.0)

    def _emit(self, value: float) -> None:
        if self._progress is not None and value > self._last:
            self._last = value
            self._progress(value)


@contextlib.contextmanager
def atomic_output(path: PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; move it into place on success, delete it on failure.

    Readers never see a partial file at `path`, and a cancelled or failed render leaves nothing.
    """
    final = Path(path)
    tmp = final.with_name(f".mediagate-{secrets.token_hex(8)}.partial")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require_size(name: str, value: int, *, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def require_duration(value: float, *, high: float = 3600.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"duration must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or not 0 < value <= high:
        raise ValueError(f"duration must be in (0, {high}] seconds, got {value!r}")
    return float(value)
