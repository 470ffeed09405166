"""`Client` and `AsyncClient`: one configuration, one set of operations, two transports."""

from __future__ import annotations

from types import TracebackType
from typing import Generic, TypeVar

import httpx

from mediagate.client import _account_ops
from mediagate.client._api import Api
from mediagate.client._config import ClientConfig
from mediagate.client._http import AsyncTransport, SyncTransport
from mediagate.client._ops import DateLike, Operations
from mediagate.client.account import AccountResource, AsyncAccountResource
from mediagate.client.events import AsyncEvents, Events
from mediagate.client.models import UsageRow
from mediagate.client.models_resource import AsyncModels, Models
from mediagate.client.tasks import AsyncTasks, Tasks
from mediagate.client.webhooks import AsyncWebhooks, Webhooks

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class _Base(Generic[H]):
    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        http_client: H | None = None,
    ) -> None:
        self._config = ClientConfig.resolve(
            base_url, api_key, timeout=timeout, max_retries=max_retries
        )
        self._api = Api(self._config)
        self._connect(Operations(self._api), http_client)

    def _connect(self, ops: Operations, http_client: H | None) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_Base[httpx.Client]):
    """The mediagate API on blocking HTTP.

    `base_url` and `api_key` default to MEDIAGATE_URL and MEDIAGATE_API_KEY (the URL then to
    http://127.0.0.1:8000). `timeout` bounds each request, `max_retries` the retries of one
    call. Pass `http_client` to use your own httpx.Client (proxies, certificates, hooks); it
    is then yours to close. Use it as a context manager, or call `close()`.
    """

    tasks: Tasks
    models: Models
    events: Events
    webhooks: Webhooks
    account: AccountResource

    def _connect(self, ops: Operations, http_client: httpx.Client | None) -> None:
        self._transport = transport = SyncTransport(self._config, http_client)
        self.tasks = Tasks(ops, transport.run, transport.iterate)
        self.models = Models(ops, transport.run)
        self.events = Events(ops, transport.run, transport.iterate)
        self.webhooks = Webhooks(ops.api, transport.run)
        self.account = AccountResource(ops.api, transport.run)

    def usage(
        self,
        *,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        group_by: str = "day",
    ) -> list[UsageRow]:
        """The account's tasks and their cost per `group_by` (`day`, `model`, `provider` or
        `key`), for tasks created on the UTC days from `start_date` to `end_date`, both
        included (default: the last 30 days), in the key's mode (live or sandbox)."""
        params = _account_ops.usage_params(start_date, end_date, group_by)
        return self._transport.run(_account_ops.usage(self._api, params))

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_Base[httpx.AsyncClient]):
    """`Client` on async HTTP (`http_client`: an httpx.AsyncClient): the same calls, awaited;
    `async with`, or `await aclose()`."""

    tasks: AsyncTasks
    models: AsyncModels
    events: AsyncEvents
    webhooks: AsyncWebhooks
    account: AsyncAccountResource

    def _connect(self, ops: Operations, http_client: httpx.AsyncClient | None) -> None:
        self._transport = transport = AsyncTransport(self._config, http_client)
        self.tasks = AsyncTasks(ops, transport.run, transport.iterate)
        self.models = AsyncModels(ops, transport.run)
        self.events = AsyncEvents(ops, transport.run, transport.iterate)
        self.webhooks = AsyncWebhooks(ops.api, transport.run)
        self.account = AsyncAccountResource(ops.api, transport.run)

    async def usage(
        self,
        *,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        group_by: str = "day",
    ) -> list[UsageRow]:
        params = _account_ops.usage_params(start_date, end_date, group_by)
        return await self._transport.run(_account_ops.usage(self._api, params))

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
