"""`tasks.wait`: poll until the task is final, with backoff and jitter, within a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from mediagate.client._effects import Op, Sleep
from mediagate.client._ops import Operations
from mediagate.client.errors import (
    TaskCancelled,
    TaskExpired,
    TaskFailed,
    UnexpectedTaskStatus,
    WaitTimeout,
)
from mediagate.client.models import CANCELLED, EXPIRED, FAILED, SUCCEEDED, Task

OnUpdate = Callable[[Task], None]


def outcome(task: Task) -> Task:
    """A final task: itself if it succeeded, else the typed error of how it ended."""
    if task.status == SUCCEEDED:
        return task
    if task.status == FAILED:
        raise TaskFailed(task)
    if task.status == CANCELLED:
        raise TaskCancelled(task)
    if task.status == EXPIRED:
        raise TaskExpired(task)
    raise UnexpectedTaskStatus(task)


def wait(
    ops: Operations, task: Task | str, timeout: float | None, on_update: OnUpdate | None
) -> Op[Task]:
    """Poll until the task is final. A status this client does not know counts as final once
    the server marks the task completed (`completed_at`), and until then as still running, so
    nothing the server adds can make this loop forever; `timeout` bounds it in any case (each
    sleep is cut to end on it). Throttled polls (429) are retried after their Retry-After."""
    deadline = None if timeout is None else time.monotonic() + timeout
    rng, policy = ops.api.rng, ops.api.config.poll
    polls = 0
    while True:
        current = yield from ops.get(task, deadline=deadline)
        if on_update is not None:
            on_update(current)
        if current.is_final:
            return outcome(current)
        delay = policy.delay(polls, rng)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeout(current, timeout or 0.0)
            delay = min(delay, left)
        yield Sleep(delay)
        polls += 1
