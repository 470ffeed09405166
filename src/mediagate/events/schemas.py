"""The event object as the API answers it (for the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediagate.events.service import TYPES
from mediagate.tasks.schemas import Task


class Event(BaseModel):
    id: str = Field(pattern=r"^evt_[0-9a-f]{32}$", description="Resume after it with `after`.")
    type: str = Field(json_schema_extra={"enum": list(TYPES)})
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    data: Task = Field(description="The task as it was when the event happened.")
