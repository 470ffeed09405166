"""The contract's task statuses."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINAL: frozenset[str] = frozenset(
    {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.EXPIRED}
)
ALL: tuple[str, ...] = tuple(s.value for s in Status)
ACTIVE: tuple[str, ...] = (Status.PENDING.value, Status.QUEUED.value, Status.RUNNING.value)
#: A status's place in a task's life. A task only moves to a status of a higher or equal rank
#: (the contract): the final statuses share the last.
RANK: dict[str, int] = {
    Status.PENDING.value: 0,
    Status.QUEUED.value: 1,
    Status.RUNNING.value: 2,
    **{status.value: 3 for status in FINAL},
}


def forward(current: str, reported: str) -> str:
    """The status of a task that is `current` when `reported` is asked for: `reported`,
    unless that would move the task backwards (a restarted job still waiting to run again)."""
    return reported if RANK[reported] >= RANK[current] else current
