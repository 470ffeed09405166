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
