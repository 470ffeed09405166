"""Rows into the contract's task object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from mediagate.core.clock import iso_from_us
from mediagate.tasks.statuses import Status


def task_object(row: Sequence[Any], *, with_result: bool = True) -> dict[str, Any]:
    """`row` holds `repository.PUBLIC_COLUMNS` in order (SQLAlchemy row, asyncpg record or
    sqlite3 tuple alike). Stored JSON text is embedded without being parsed again."""
    (
        task_id,
        task_type,
        status,
        provider,
        model,
        progress,
        queue_position,
        eta_seconds,
        cost_micros,
        result,
        error_code,
        error_message,
        created_at,
        started_at,
        completed_at,
        metadata,
    ) = row
    obj: dict[str, Any] = {
        "id": task_id,
        "type": task_type,
        "status": status,
        "provider": provider,
        "model": model,
        "progress": progress,
        "queue_position": queue_position,
        "eta_seconds": eta_seconds,
        "cost": cost_micros / 1_000_000,
        "created_at": iso_from_us(created_at),
        "started_at": iso_from_us(started_at),
        "completed_at": iso_from_us(completed_at),
        "metadata": orjson.Fragment(metadata),
    }
    if with_result and status == Status.SUCCEEDED and result is not None:
        obj["result"] = orjson.Fragment(result)
    if error_code is not None:
        obj["error"] = {"code": error_code, "message": error_message or ""}
    return obj
