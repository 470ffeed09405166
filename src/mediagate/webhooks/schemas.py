"""The bodies of `POST /api/v1/webhooks` and `PATCH /api/v1/webhooks/{id}`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from mediagate.core.urls import http_url
from mediagate.events.service import TYPES

#: What an endpoint receives when it names no events: every status change of a task.
DEFAULT_EVENTS: tuple[str, ...] = tuple(
    t for t in TYPES if t not in ("task.created", "task.progress")
)
URL_MAX = 2048
DESCRIPTION_MAX = 500
_URL_DOC = (
    "Where deliveries are POSTed: an absolute http:// or https:// URL (redirects are not followed)."
)
_EVENTS_DOC = (
    f"Event types to deliver, from {', '.join(TYPES)}; default: {', '.join(DEFAULT_EVENTS)}."
)


def check_url(value: str) -> str:
    http_url(value, max_length=URL_MAX)  # parsed as the sender will request it
    return value


def check_events(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("must name at least one event type")
    unknown = [t for t in value if t not in TYPES]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0][:60]!r}; types are {', '.join(TYPES)}")
    return list(dict.fromkeys(value))


class CreateWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: StrictStr = Field(max_length=URL_MAX, description=_URL_DOC)
    events: list[StrictStr] | None = Field(default=None, description=_EVENTS_DOC)
    description: StrictStr = Field(default="", max_length=DESCRIPTION_MAX)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_events(value)


class UpdateWebhookRequest(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    url: StrictStr | None = Field(default=None, max_length=URL_MAX, description=_URL_DOC)
    events: list[StrictStr] | None = Field(default=None, description=_EVENTS_DOC)
    description: StrictStr | None = Field(default=None, max_length=DESCRIPTION_MAX)
    disabled: StrictBool | None = Field(
        default=None,
        description="true stops deliveries (those waiting end as failed); false resumes them.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_events(value)


# Answers (for the OpenAPI document; built by `webhooks.serialize`).


class WebhookEndpoint(BaseModel):
    id: str = Field(pattern=r"^wh_[A-Za-z0-9_-]+$")
    url: str
    events: list[str]
    description: str | None
    disabled: bool
    secret: str = Field(description="Signs deliveries (Standard Webhooks): `whsec_...`.")
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class WebhookDelivery(BaseModel):
    id: str = Field(pattern=r"^dlv_[0-9a-f]{16}$")
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int = Field(ge=0)
    response_status: int | None
    error: str | None
    duration_ms: int | None
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    next_attempt_at: str | None = Field(json_schema_extra={"format": "date-time"})


class WebhookSecret(BaseModel):
    secret: str


class WebhookDeleted(BaseModel):
    id: str
    deleted: Literal[True]
