"""The calls of events as operations: a task's timeline, pages of the account's events, and
the two streams (see `_follow.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client._follow import StreamUnavailable, follow
from mediagate.client._ops import task_id_of
from mediagate.client._parse import validate
from mediagate.client.errors import ConfigurationError
from mediagate.client.models import Event, Page, Task

Types = str | Iterable[str] | None


def types_param(types: Types) -> dict[str, str]:
    """`types` (a list, or comma-separated text) as the query parameter; none for all."""
    if types is None:
        return {}
    names = types.split(",") if isinstance(types, str) else list(types)
    if not all(isinstance(name, str) for name in names):
        raise ConfigurationError("types must be event type names, such as 'task.succeeded'")
    joined = ",".join(name.strip() for name in names if name.strip())
    return {"types": joined} if joined else {}


def timeline(api: Api, task: Task | str) -> Op[list[Event]]:
    path = f"tasks/{quote(task_id_of(task), safe='')}/events"
    answer = yield from api.call("GET", path)
    return validate(list[Event], answer.data, "event timeline")


def page(api: Api, params: dict[str, str], after: str | None, limit: int | None) -> Op[Page[Event]]:
    query = dict(params)
    if after is not None:
        query["after"] = after
    if limit is not None:
        query["limit"] = str(limit)
    answer = yield from api.call("GET", "events", params=query)
    return validate(Page[Event], {"data": answer.data, "pagination": answer.pagination}, "events")


def _public(stream: Op[None]) -> Op[None]:
    """A stream for a caller: a gateway without it is the error it answered."""
    try:
        yield from stream
    except StreamUnavailable as unavailable:
        raise unavailable.error from None


def task_stream(api: Api, task: Task | str, after: str | None) -> Op[None]:
    path = f"tasks/{quote(task_id_of(task), safe='')}/stream"
    return _public(follow(api, path, after=after, until_final=True))


def account_stream(api: Api, after: str | None, types: Types) -> Op[None]:
    return _public(follow(api, "events/stream", params=types_param(types), after=after))
