"""`client.account`: the caller's account, its credits and their ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mediagate.client import _account_ops as ops
from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client.models import Account, LedgerEntry
from mediagate.client.pagination import AsyncPaginator, Paginator


class AccountResource:
    def __init__(self, api: Api, run: Callable[[Op[Any]], Any]) -> None:
        self._api = api
        self._run = run

    def get(self) -> Account:
        """Billing mode, balance, credits held for unfinished tasks, what is available, and
        this month's spend (a sandbox key's is 0)."""
        return self._run(ops.get(self._api))

    def ledger(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Paginator[LedgerEntry]:
        """The credits ledger (grants, holds, charges, releases), newest first, across every
        page of `limit` entries (1-100); `cursor` (a page's `pagination.cursor`) starts after
        that page. `pages()` gives the pages themselves."""
        return Paginator(
            lambda after: self._run(ops.ledger_page(self._api, after or cursor, limit))
        )


class AsyncAccountResource:
    """`AccountResource` on async HTTP: `await get()`, `async for` over `ledger()`."""

    def __init__(self, api: Api, run: Callable[[Op[Any]], Awaitable[Any]]) -> None:
        self._api = api
        self._run = run

    async def get(self) -> Account:
        return await self._run(ops.get(self._api))

    def ledger(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[LedgerEntry]:
        return AsyncPaginator(
            lambda after: self._run(ops.ledger_page(self._api, after or cursor, limit))
        )
