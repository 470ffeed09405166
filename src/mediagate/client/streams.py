"""Live event streams as iterators: `for event in stream`, or `async for` on AsyncClient.

Close a stream you stop reading early (`with`, `close()`; `async with`, `aclose()`): that
closes its connection at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType

from mediagate.client.models import Event


class EventStream:
    """The events of a stream, as they happen; `last_event_id` is the id of the last one
    (pass it as `after=` to start again from there later)."""

    def __init__(self, events: Iterator[Event]) -> None:
        self._events = events
        self.last_event_id: str | None = None

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Event:
        event = next(self._events)
        self.last_event_id = event.id
        return event

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncEventStream:
    """`EventStream` for `async for`."""

    def __init__(self, events: AsyncIterator[Event]) -> None:
        self._events = events
        self.last_event_id: str | None = None

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> Event:
        event = await anext(self._events)
        self.last_event_id = event.id
        return event

    async def aclose(self) -> None:
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
