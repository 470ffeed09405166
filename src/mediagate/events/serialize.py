"""Event rows into the contract's event object."""

from __future__ import annotations

from typing import Any

from mediagate.core.clock import iso_from_us
from mediagate.events import ids
from mediagate.events.repository import CREATED_AT, TASK_COLUMNS, TYPE, Row, position
from mediagate.tasks.serialize import Linker, task_object


def event_object(row: Row, links: Linker | None) -> dict[str, Any]:
    """`{id, type, created_at, data}`: `data` is the task as it was when the event happened,
    with freshly signed result URLs."""
    return {
        "id": ids.encode(position(row)),
        "type": row[TYPE],
        "created_at": iso_from_us(row[CREATED_AT]),
        "data": task_object(row[TASK_COLUMNS], links=links),
    }
