"""Listings that follow their cursors across every page, lazily."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from mediagate.client._ops import next_cursor
from mediagate.client.models import Page

T = TypeVar("T")


class Paginator(Generic[T]):
    """Iterate for every item of every page (one request a page, made as you go), or over
    `pages()`; `total` is the server's count of all matches, once a page was read."""

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch
        self.total: int | None = None

    def pages(self) -> Iterator[Page[T]]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = self._fetch(cursor)
            self.total = page.pagination.total
            yield page
            if (cursor := next_cursor(page, seen)) is None:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data


class AsyncPaginator(Generic[T]):
    """`async for` over every item of every page, or over `pages()`."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch
        self.total: int | None = None

    async def pages(self) -> AsyncIterator[Page[T]]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = await self._fetch(cursor)
            self.total = page.pagination.total
            yield page
            if (cursor := next_cursor(page, seen)) is None:
                return

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()
