"""What a task costs: one pricing function for the hold placed at create (the most the task can
cost, from its input) and the charge made when it succeeds (from its measured outputs, never
more than the hold). Amounts are integer millionths of the price's currency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mediagate.catalog.spec import ModelSpec, Price

MICROS = 1_000_000
#: Input fields holding the requested number of units, by price unit, when a price names none.
_QUANTITY_FIELDS = {"second": ("duration", "duration_seconds"), "image": ("n", "max_images")}


def rate(price: Price, inputs: Mapping[str, Any]) -> float:
    """The amount per unit for this input: its tier's, or the price's own."""
    if price.tier_field is not None:
        return price.tiers.get(str(inputs.get(price.tier_field)), price.amount)
    return price.amount


def quantity_field(price: Price, inputs: Mapping[str, Any]) -> str | None:
    if price.quantity is not None:
        return price.quantity
    return next((f for f in _QUANTITY_FIELDS.get(price.unit, ()) if f in inputs), None)


def requested_units(price: Price, inputs: Mapping[str, Any]) -> float:
    """How many units the input asks for (validated input, the model's defaults filled): one
    task, one image unless a count is asked for, the requested seconds."""
    if price.unit == "task":
        return 1.0
    name = quantity_field(price, inputs)
    value = inputs.get(name) if name is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return 1.0 if price.unit == "image" else 0.0


def _micros(amount: float, units: float) -> int:
    return round(amount * units * MICROS)


def max_cost_micros(spec: ModelSpec, inputs: Mapping[str, Any], *, sandbox: bool) -> int:
    """The most a task of `spec` with this input can cost: the hold placed when it is made."""
    if sandbox:
        return 0
    return _micros(rate(spec.price, inputs), requested_units(spec.price, inputs))


def cost_micros(
    spec: ModelSpec,
    inputs: Mapping[str, Any],
    items: Sequence[dict[str, Any]],
    *,
    sandbox: bool,
    cap: int | None = None,
) -> int:
    """A succeeded task's cost from its measured outputs (images made, seconds of output),
    at its input's rate, never more than `cap` (the task's most, fixed at create)."""
    if sandbox:
        return 0
    price = spec.price
    if price.unit == "task":
        units = 1.0
    elif price.unit == "image":
        units = float(len(items))
    else:
        units = sum(float(item.get("duration") or 0.0) for item in items)
    cost = _micros(rate(price, inputs), units)
    return cost if cap is None else min(cost, cap)
