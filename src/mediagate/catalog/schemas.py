"""A catalog entry as `GET /api/v1/models` answers it (for the OpenAPI document; built from
`ModelSpec.as_dict`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mediagate.catalog.spec import TaskType


class PriceTiers(BaseModel):
    field: str = Field(description="The input whose value picks the amount.")
    amounts: dict[str, float]


class Price(BaseModel):
    amount: float = Field(ge=0)
    unit: str
    currency: str
    tiers: PriceTiers | None = None


class ModelInfo(BaseModel):
    id: str
    type: TaskType
    provider: str
    description: str
    input_schema: dict[str, Any] = Field(description="JSON schema of the task's `input`.")
    price: Price
    default_timeout_s: int
    fallbacks: list[str]
    available: bool = Field(description="Whether the caller's key can run it here.")
    unavailable_reason: str | None
