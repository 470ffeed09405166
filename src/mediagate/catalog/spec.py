"""What a catalog entry says about a model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel

TaskType = Literal["video", "image", "audio", "music", "model3d"]
TASK_TYPES: tuple[str, ...] = ("video", "image", "audio", "music", "model3d")
PriceUnit = Literal["task", "image", "second"]


@dataclass(frozen=True)
class Price:
    """`amount` (in `currency`) per `unit`: per task, per output image or per output second.

    `quantity` names the input field with the requested number of units (seconds of video,
    images); left out, `mediagate.billing.pricing` looks for the usual names. `tiers` price
    some values of the input field `tier_field` differently (say `{"pro": 0.07}` for `mode`).
    """

    amount: float
    unit: PriceUnit
    currency: str = "USD"
    quantity: str | None = None
    tier_field: str | None = None
    tiers: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"amount": self.amount, "unit": self.unit, "currency": self.currency}
        if self.tier_field is not None:
            out["tiers"] = {"field": self.tier_field, "amounts": dict(self.tiers)}
        return out


@dataclass(frozen=True)
class ModelSpec:
    id: str
    type: TaskType
    provider: str
    description: str
    input_model: type[BaseModel]
    price: Price
    default_timeout_s: int = 600
    tags: tuple[str, ...] = field(default_factory=tuple)
    #: The provider's own name for the model, when it differs from `id`.
    provider_model: str | None = None
    #: Providers tried, in order, when a submit to `provider` fails as unavailable or
    #: retryable (never once a provider accepted the job). Each must know how to serve `id`.
    fallbacks: tuple[str, ...] = ()

    @property
    def native_id(self) -> str:
        return self.provider_model or self.id

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "provider": self.provider,
            "description": self.description,
            "input_schema": self.input_schema,
            "price": self.price.as_dict(),
            "default_timeout_s": self.default_timeout_s,
            "fallbacks": list(self.fallbacks),
        }
