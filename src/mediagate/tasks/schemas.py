"""The body of `POST /api/v1/tasks`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediagate.catalog.spec import ModelSpec, TaskType
from mediagate.core import jsonutil
from mediagate.core.urls import http_url
from mediagate.tasks.statuses import Status

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


# The task object as the API answers it (for the OpenAPI document; answers are built by
# `tasks.serialize`, never validated against these).

TASK_ERROR_CODES = (
    "PROVIDER_ERROR",
    "CONTENT_POLICY_VIOLATION",
    "INVALID_INPUT",
    "PROVIDER_UNAVAILABLE",
    "TIMEOUT",
    "RESULT_UNAVAILABLE",
    "INTERNAL_ERROR",
)


class ResultFile(BaseModel):
    url: str = Field(description="Signed download URL, valid for a limited time.")
    format: str
    size_bytes: int = Field(ge=0)
    duration: float | None = Field(default=None, description="Seconds (video, audio, music).")
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = Field(default=None, description="A small signed preview image.")


class TaskError(BaseModel):
    code: str = Field(json_schema_extra={"enum": list(TASK_ERROR_CODES)})
    message: str


class Task(BaseModel):
    """A task. List items leave out `input` and `result`."""

    id: str = Field(pattern=r"^task_[A-Za-z0-9_-]{20,}$")
    type: TaskType
    status: Status
    provider: str
    model: str
    progress: int = Field(ge=0, le=100)
    queue_position: int = Field(ge=-1)
    eta_seconds: int = Field(ge=-1)
    cost: float = Field(ge=0)
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    started_at: str | None = Field(json_schema_extra={"format": "date-time"})
    completed_at: str | None = Field(json_schema_extra={"format": "date-time"})
    metadata: dict[str, Any]
    sandbox: bool
    input: dict[str, Any] | None = Field(default=None, description="Only on a single task.")
    result: list[ResultFile] | None = Field(default=None, description="Only when succeeded.")
    error: TaskError | None = None


def create_body_schema(models: Iterable[ModelSpec]) -> dict[str, Any]:
    """The create body's JSON schema: one variant per model, with that model's `input` schema,
    so that a client (or a fuzzer) generating from the document makes valid tasks."""
    common = CreateTaskRequest.model_json_schema()["properties"]
    variants = []
    for spec in models:
        variants.append(
            {
                "title": spec.id,
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "model", "input"],
                "properties": {
                    "type": {"const": spec.type},
                    "model": {"const": spec.id},
                    "input": spec.input_schema,
                    "metadata": common["metadata"],
                    "callback_url": common["callback_url"],
                    "timeout_s": common["timeout_s"],
                },
            }
        )
    return {"oneOf": variants}
