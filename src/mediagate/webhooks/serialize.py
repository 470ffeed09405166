"""Rows into the contract's webhook endpoint and delivery objects; delivery ids."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mediagate.core.clock import iso_from_us
from mediagate.core.cursor import MAX_INT64

_DELIVERY_ID = re.compile(r"dlv_([0-9a-f]{16})")


def events_text(types: Sequence[str]) -> str:
    """How an endpoint's types are stored: `,task.succeeded,task.failed,` (the event trigger
    matches `LIKE '%,<type>,%'`)."""
    return "," + ",".join(types) + ","


def events_list(stored: str) -> list[str]:
    return [t for t in stored.split(",") if t]


def endpoint_object(row: Sequence[Any]) -> dict[str, Any]:
    """`row` holds `repository.ENDPOINT_COLUMNS` in order."""
    endpoint_id, url, events, description, disabled, secret, created_at = row
    return {
        "id": endpoint_id,
        "url": url,
        "events": events_list(events),
        "description": description,
        "disabled": bool(disabled),
        "secret": secret,
        "created_at": iso_from_us(created_at),
    }


def delivery_id(seq: int) -> str:
    return f"dlv_{seq:016x}"


def delivery_seq(text: str) -> int | None:
    """The row of a delivery id; None for anything this API never issued."""
    match = _DELIVERY_ID.fullmatch(text)
    if match is None:
        return None
    seq = int(match[1], 16)
    return seq if seq <= MAX_INT64 else None


def delivery_object(row: Sequence[Any]) -> dict[str, Any]:
    """`row` holds `repository.DELIVERY_COLUMNS` in order. `next_attempt_at`: when a pending
    delivery is (next) tried; null once it succeeded or failed."""
    (seq, event_id, event_type, status, attempts, response_status, error, duration_ms,
     created_at, run_at) = row  # fmt: skip
    return {
        "id": delivery_id(seq),
        "event_id": event_id,
        "event_type": event_type,
        "status": status,
        "attempts": attempts,
        "response_status": response_status,
        "error": error,
        "duration_ms": duration_ms,
        "created_at": iso_from_us(created_at),
        "next_attempt_at": iso_from_us(run_at) if status == "pending" else None,
    }
