"""Rows into the contract's task object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from mediagate.core.clock import iso_from_us
from mediagate.tasks.statuses import Status

#: Turns a stored result (the column's text) and the task id into the public `result` list.
Linker = Callable[[str, str], list[dict[str, Any]]]


def task_object(
    row: Sequence[Any], *, with_result: bool = True, links: Linker | None = None
) -> dict[str, Any]:
    """`row` holds `repository.PUBLIC_COLUMNS` in order (SQLAlchemy row, asyncpg record or
    sqlite3 tuple alike). Stored JSON text is embedded without being parsed again. The full
    object (`with_result`) has `input`, and `result` when `links` (which sign its URLs) are
    given; list items have neither."""
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
        sandbox,
        task_input,
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
        "sandbox": bool(sandbox),
    }
    if with_result:
        obj["input"] = orjson.Fragment(task_input)
        if status == Status.SUCCEEDED and result is not None and links is not None:
            obj["result"] = links(result, task_id)
    if error_code is not None:
        obj["error"] = {"code": error_code, "message": error_message or ""}
    return obj
