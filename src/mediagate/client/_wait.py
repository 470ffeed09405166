"""`tasks.wait`: follow the task's event stream until it is final, within a timeout; poll with
backoff and jitter where the gateway has no stream (or it keeps failing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from mediagate.client._effects import Op, Sleep, relay
from mediagate.client._follow import StreamDeadline, StreamUnavailable, follow
from mediagate.client._ops import Operations, task_id_of
from mediagate.client.errors import (
    TaskCancelled,
    TaskExpired,
    TaskFailed,
    UnexpectedTaskStatus,
    WaitTimeout,
)
from mediagate.client.models import CANCELLED, EXPIRED, FAILED, SUCCEEDED, Event, Task

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
    """Follow the task's stream (its current state first, then each change, `on_update` called
    with each) until a final event; reconnect with Last-Event-ID when it drops. A gateway
    without the stream, or a stream that keeps failing, is polled instead. `timeout` bounds
    the whole wait: WaitTimeout with the task as last seen."""
    deadline = None if timeout is None else time.monotonic() + timeout
    task_id = task_id_of(task)
    latest = task if isinstance(task, Task) else None

    def seen(event: Event) -> None:
        nonlocal latest
        latest = event.data
        if on_update is not None:
            on_update(event.data)

    path = f"tasks/{quote(task_id, safe='')}/stream"
    stream = follow(ops.api, path, until_final=True, deadline=deadline, give_up=True)
    try:
        yield from relay(stream, seen)
    except StreamUnavailable:
        return (yield from poll(ops, task_id, timeout, deadline, on_update))
    except StreamDeadline:
        if latest is None:
            latest = yield from ops.get(task_id, deadline=deadline)
        raise WaitTimeout(latest, timeout or 0.0) from None
    assert latest is not None
    return outcome(latest)


def poll(
    ops: Operations,
    task: Task | str,
    timeout: float | None,
    deadline: float | None,
    on_update: OnUpdate | None,
) -> Op[Task]:
    """Poll until the task is final. A status this client does not know counts as final once
    the server marks the task completed (`completed_at`), and until then as still running, so
    nothing the server adds can make this loop forever; `deadline` bounds it in any case (each
    sleep is cut to end on it). Throttled polls (429) are retried after their Retry-After."""
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
