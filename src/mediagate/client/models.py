"""Typed, immutable models of the contract's objects: Task, ResultFile, TaskError, Model, Page,
Event, Webhook, WebhookDelivery, Account, LedgerEntry, UsageRow.

Fields the server adds later are ignored; `type`, `status` and other vocabularies are plain
strings, so a status this client does not know yet still parses (see `Task.is_final`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

PENDING, QUEUED, RUNNING = "pending", "queued", "running"
SUCCEEDED, FAILED, CANCELLED, EXPIRED = "succeeded", "failed", "cancelled", "expired"
ACTIVE_STATUSES = frozenset({PENDING, QUEUED, RUNNING})
FINAL_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED})
TASK_TYPES = ("video", "image", "audio", "music", "model3d")

#: What an id can be (ids are `task_`, `evt_`, `wh_`, ... + URL-safe text); anything else
#: cannot exist, and never goes into a URL path.
ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
TASK_ID = ID

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class ResultFile(_Model):
    """One result file: a signed download URL (short-lived), what was measured of the file,
    and a signed URL of a small preview image when the gateway made one."""

    url: str
    format: str
    size_bytes: int = Field(ge=0)
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None

    @field_validator("url", "thumbnail_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value


class TaskError(_Model):
    """Why a task failed (or was cancelled): the contract's task error code and a message."""

    code: str
    message: str = ""


class Task(_Model):
    id: str
    type: str
    status: str
    provider: str
    model: str
    progress: int = Field(ge=0, le=100)
    queue_position: int
    eta_seconds: int
    cost: float
    result: list[ResultFile] | None = None
    error: TaskError | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    input: dict[str, Any] | None = None  # in a task read alone, not in listings
    sandbox: bool | None = None

    @field_validator("id")
    @classmethod
    def _task_id(cls, value: str) -> str:
        if not TASK_ID.fullmatch(value):
            raise ValueError("is not a task id")
        return value

    @property
    def is_final(self) -> bool:
        """Final: one of the final statuses, or a status this client does not know that the
        server marked done (`completed_at` is set once a task is final)."""
        if self.status in FINAL_STATUSES:
            return True
        return self.status not in ACTIVE_STATUSES and self.completed_at is not None


class Price(_Model):
    amount: float
    unit: str
    currency: str = "USD"


class Model(_Model):
    """A catalog entry: what `model` to pass to `tasks.create`, and its input schema."""

    id: str
    type: str
    provider: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)
    price: Price | None = None
    default_timeout_s: int | None = None
    fallbacks: list[str] = Field(default_factory=list)
    #: Whether the key that asked can run it on this gateway, and if not, why.
    available: bool = True
    unavailable_reason: str | None = None


class Pagination(_Model):
    cursor: str | None = None
    has_more: bool = Field(alias="hasMore")
    total: int = Field(ge=0)


class Page(_Model, Generic[T]):
    """One page of a listing; `pagination.cursor` fetches the next one."""

    data: list[T]
    pagination: Pagination


class Event(_Model):
    """A change of a task: `type` is `task.<kind>` (`task.created`, `task.running`,
    `task.progress`, `task.succeeded`, ...), `data` the task as it was then."""

    id: str
    type: str
    created_at: datetime
    data: Task

    @property
    def is_final(self) -> bool:
        """The task's last event: it ended (succeeded, failed, was cancelled or expired)."""
        return self.data.is_final


class Webhook(_Model):
    """An endpoint events are delivered to, signed with its `secret` (`whsec_...`; the
    gateway shows it when the endpoint is made and when it is rotated)."""

    id: str
    url: str
    events: list[str]
    description: str | None = None
    disabled: bool = False
    secret: str | None = None
    created_at: datetime


class WebhookDelivery(_Model):
    """One event sent (or being sent) to one endpoint: `status` is `pending`, `succeeded` or
    `failed`; `response_status` the receiver's last answer, `error` why a try failed."""

    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int = Field(ge=0)
    response_status: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    created_at: datetime
    next_attempt_at: datetime | None = None


class Account(_Model):
    """The caller's account: `billing` is `postpaid` (no limit) or `prepaid` (tasks must be
    covered by `available` credits: `balance` minus those `held` for unfinished tasks).
    Amounts are in the currency unit, like `Task.cost`."""

    id: str
    name: str
    billing: str
    balance: float
    held: float
    available: float
    spent_this_month: float


class LedgerEntry(_Model):
    """One change of the account's credits: `type` is `grant`, `hold`, `charge` or `release`;
    `amount` is positive, `balance_after` the balance once it applied."""

    id: str
    type: str
    amount: float
    balance_after: float
    task_id: str | None = None
    note: str | None = None
    created_at: datetime


class UsageRow(_Model):
    """Tasks and their cost for one `group`: a UTC day (`2026-12-01`), a model id, a provider
    or a key id, as asked."""

    group: str
    tasks: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    cancelled: int = Field(ge=0)
    cost: float
