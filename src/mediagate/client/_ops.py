"""The calls of `client.tasks` and `client.models` as operations (see `_effects.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, NotRequired, TypedDict
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


class ListFilters(TypedDict, total=False):
    """The filters of `tasks.list` (the server checks their values)."""

    status: str
    provider: str
    model_id: str
    start_date: DateLike  # created at or after
    end_date: DateLike  # created before
    search: str  # a task id prefix
    limit: int  # the page size, 1-100


class CreateParams(TypedDict):
    """What `tasks.create` takes: the contract's create body, and the Idempotency-Key."""

    type: str
    model: str
    input: dict[str, Any]
    metadata: NotRequired[dict[str, Any] | None]
    callback_url: NotRequired[str | None]
    timeout_s: NotRequired[int | None]
    idempotency_key: NotRequired[str | None]


_QUERY_NAMES = {"model_id": "modelId", "start_date": "startDate", "end_date": "endDate"}


def list_params(filters: ListFilters) -> dict[str, str]:
    """The filters as query parameters; an unknown filter is a ConfigurationError."""
    params: dict[str, str] = {}
    for name, value in filters.items():
        if name not in ListFilters.__annotations__:
            raise ConfigurationError(f"tasks.list() has no filter {name!r}")
        if value is None:
            continue
        if name in ("start_date", "end_date"):
            value = _iso(name, value)  # type: ignore[arg-type]
        params[_QUERY_NAMES.get(name, name)] = str(value)
    return params


def create_body(params: CreateParams) -> tuple[dict[str, Any], str | None]:
    """The request body, and the caller's Idempotency-Key if any."""
    body: dict[str, Any] = {k: v for k, v in params.items() if v is not None}
    unknown = set(body) - set(CreateParams.__annotations__)
    if unknown:
        raise ConfigurationError(f"tasks.create() takes no {', '.join(sorted(unknown))}")
    missing = [name for name in ("type", "model", "input") if name not in body]
    if missing:
        raise ConfigurationError(f"tasks.create() needs {', '.join(missing)}")
    return body, body.pop("idempotency_key", None)


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
