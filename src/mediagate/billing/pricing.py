"""A succeeded task's cost from its model's price and its measured outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediagate.catalog.spec import Price


def cost_micros(price: Price, items: Sequence[dict[str, Any]], *, sandbox: bool) -> int:
    """Millionths of the price's currency: per task, per output image, or per measured second
    of output (video, audio, music)."""
    if sandbox:
        return 0
    if price.unit == "task":
        units = 1.0
    elif price.unit == "image":
        units = float(len(items))
    else:
        units = sum(float(item.get("duration") or 0.0) for item in items)
    return round(price.amount * units * 1_000_000)
