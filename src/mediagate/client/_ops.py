"""The calls of `client.tasks` and `client.models` as operations (see `_effects.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client._parse import validate
from mediagate.client.errors import ConfigurationError, InvalidResponse, TaskNotCancellable
from mediagate.client.models import CANCELLED, TASK_ID, Model, Page, Task

DateLike = datetime | date | str


def task_id_of(task: Task | str) -> str:
    """The id of `task` (a Task or an id), checked before it goes into a URL path."""
    task_id = task.id if isinstance(task, Task) else task
    if not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id):
        raise ConfigurationError(f"{task_id!r} is not a task id (they look like task_Hc1...)")
    return task_id


def _iso(name: str, value: DateLike) -> str:
    """A date filter as the API takes it; a naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ConfigurationError(f"{name} must be a datetime, a date or an ISO 8601 string")


def list_params(
    *,
    status: str | None = None,
    provider: str | None = None,
    model_id: str | None = None,
    start_date: DateLike | None = None,
    end_date: DateLike | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> dict[str, str]:
    """The listing filters as query parameters (the server checks their values)."""
    params = {
        "status": status,
        "provider": provider,
        "modelId": model_id,
        "startDate": None if start_date is None else _iso("start_date", start_date),
        "endDate": None if end_date is None else _iso("end_date", end_date),
        "search": search,
        "limit": None if limit is None else str(limit),
    }
    return {k: v for k, v in params.items() if v is not None}


def create_body(
    type: str,
    model: str,
    input: dict[str, Any],
    metadata: dict[str, Any] | None,
    callback_url: str | None,
    timeout_s: int | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type, "model": model, "input": input}
    optional = {"metadata": metadata, "callback_url": callback_url, "timeout_s": timeout_s}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


class Operations:
    def __init__(self, api: Api) -> None:
        self.api = api

    def create(self, body: dict[str, Any], idempotency_key: str | None) -> Op[Task]:
        """Every try sends the same Idempotency-Key (the caller's, or one made here), so a
        retry after a lost answer gets the task the first try made, never a second one."""
        key = idempotency_key or f"mgc-{uuid.uuid4().hex}"
        answer = yield from self.api.call(
            "POST", "tasks", json=body, headers={"Idempotency-Key": key}
        )
        return validate(Task, answer.data, "task")

    def get(self, task: Task | str, deadline: float | None = None) -> Op[Task]:
        path = f"tasks/{quote(task_id_of(task), safe='')}"
        answer = yield from self.api.call("GET", path, deadline=deadline)
        return validate(Task, answer.data, "task")

    def cancel(self, task: Task | str) -> Op[Task]:
        """Idempotent: a task that is already cancelled (by an earlier try whose answer was
        lost, or by anyone) is returned as it is; other final tasks raise TaskNotCancellable."""
        task_id = task_id_of(task)
        try:
            answer = yield from self.api.call("POST", f"tasks/{quote(task_id, safe='')}/cancel")
        except TaskNotCancellable:
            current = yield from self.get(task_id)
            if current.status == CANCELLED:
                return current
            raise
        return validate(Task, answer.data, "task")

    def list_page(self, params: dict[str, str], cursor: str | None) -> Op[Page[Task]]:
        query = {**params, "cursor": cursor} if cursor is not None else params
        answer = yield from self.api.call("GET", "tasks", params=query)
        page = {"data": answer.data, "pagination": answer.pagination}
        return validate(Page[Task], page, "task listing")

    def models(self, params: dict[str, str]) -> Op[list[Model]]:
        answer = yield from self.api.call("GET", "models", params=params)
        return validate(list[Model], answer.data, "model list")


def next_cursor(page: Page[Any], seen: set[str]) -> str | None:
    """The cursor of the page after `page`, or None at the end; a listing that would go round
    in circles (a cursor seen before, more pages but no cursor) is refused."""
    cursor = page.pagination.cursor
    if not page.pagination.has_more:
        return None
    if not cursor or cursor in seen:
        raise InvalidResponse("the gateway's listing says hasMore but gives no new cursor")
    seen.add(cursor)
    return cursor
