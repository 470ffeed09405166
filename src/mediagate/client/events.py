"""`client.events`: the account's events, as pages (`list`) or live (`stream`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from mediagate.client import _event_ops
from mediagate.client._effects import Op
from mediagate.client._event_ops import Types
from mediagate.client._ops import Operations
from mediagate.client.models import Event
from mediagate.client.pagination import AsyncPaginator, Paginator
from mediagate.client.streams import AsyncEventStream, EventStream


class Events:
    def __init__(
        self,
        ops: Operations,
        run: Callable[[Op[Any]], Any],
        iterate: Callable[[Op[Any]], Iterator[Any]],
    ) -> None:
        self._api = ops.api
        self._run = run
        self._iterate = iterate

    def list(
        self, *, after: str | None = None, limit: int | None = None, types: Types = None
    ) -> Paginator[Event]:
        """The account's events after event `after` (else from the oldest kept), oldest first,
        of `types` only if given (`["task.succeeded", "task.failed"]`), across every page of
        `limit` events (1-100)."""
        params = _event_ops.types_param(types)
        return Paginator(
            lambda cursor: self._run(_event_ops.page(self._api, params, cursor or after, limit))
        )

    def stream(self, *, after: str | None = None, types: Types = None) -> EventStream:
        """The account's events as they happen (after event `after`, if given), for ever:
        dropped connections are resumed where they broke, without a gap or a repeat."""
        op = _event_ops.account_stream(self._api, after, types)
        return EventStream(self._iterate(op))


class AsyncEvents:
    def __init__(
        self,
        ops: Operations,
        run: Callable[[Op[Any]], Awaitable[Any]],
        iterate: Callable[[Op[Any]], AsyncIterator[Any]],
    ) -> None:
        self._api = ops.api
        self._run = run
        self._iterate = iterate

    def list(
        self, *, after: str | None = None, limit: int | None = None, types: Types = None
    ) -> AsyncPaginator[Event]:
        params = _event_ops.types_param(types)
        return AsyncPaginator(
            lambda cursor: self._run(_event_ops.page(self._api, params, cursor or after, limit))
        )

    def stream(self, *, after: str | None = None, types: Types = None) -> AsyncEventStream:
        op = _event_ops.account_stream(self._api, after, types)
        return AsyncEventStream(self._iterate(op))
