"""The body of `POST /api/v1/tasks`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediagate.catalog.spec import TaskType
from mediagate.core import jsonutil
from mediagate.core.urls import http_url

METADATA_MAX_BYTES = 16 * 1024
_SCALARS = (str, int, float, bool, type(None))


class CreateTaskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: TaskType
    model: str = Field(min_length=1, max_length=100)
    input: dict[str, Any]
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Flat key-value pairs (strings, numbers, booleans, null), at most 16 KiB.",
    )
    callback_url: str | None = Field(default=None, max_length=2048)
    timeout_s: int | None = Field(
        default=None, ge=1, le=86400, description="Deadline in seconds; default per model."
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_flat(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if not isinstance(item, _SCALARS):
                raise ValueError(
                    f"value of {key!r} must be a string, number, boolean or null "
                    "(metadata is flat: no nested objects or arrays)"
                )
        size = len(jsonutil.canonical(value))
        if size > METADATA_MAX_BYTES:
            raise ValueError(f"is {size} bytes as JSON; the limit is {METADATA_MAX_BYTES}")
        return value

    @field_validator("callback_url")
    @classmethod
    def _callback_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        http_url(value, max_length=2048)  # parsed as the sender will request it
        return value
