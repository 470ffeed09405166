"""Spend per day as a bar chart, drawn on the server as SVG shapes (no script, no library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediagate.core.clock import iso_from_us

DAY_US = 86_400 * 1_000_000
WIDTH, HEIGHT, TOP, BOTTOM = 600, 200, 16, 24


@dataclass(frozen=True)
class Day:
    date: str
    tasks: int
    cost: float


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: Day


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    top: float
    first: str
    last: str


def last_days(rows: list[dict[str, Any]], now: int, count: int) -> list[Day]:
    """`count` UTC days up to today's, with usage rows (by day) filled in and zeros between."""
    found = {row["group"]: row for row in rows}
    today = now // DAY_US
    days = []
    for n in range(today - count + 1, today + 1):
        date = (iso_from_us(n * DAY_US) or "")[:10]
        row = found.get(date, {})
        days.append(Day(date, int(row.get("tasks", 0)), float(row.get("cost", 0))))
    return days


def spend_chart(days: list[Day]) -> Chart:
    top = max((d.cost for d in days), default=0.0)
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / max(1, len(days))
    bars = []
    for i, day in enumerate(days):
        height = plot * day.cost / top if top > 0 else 0.0
        height = max(height, 1.0) if day.cost > 0 else 0.0
        bars.append(Bar(i * slot + 2, TOP + plot - height, slot - 4, height, day))
    return Chart(
        WIDTH, HEIGHT, TOP + plot, bars, top,
        days[0].date if days else "", days[-1].date if days else "",
    )  # fmt: skip
