"""`client.webhooks`: endpoints that receive signed events, their secrets and delivery logs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from mediagate.client import _webhook_ops as ops
from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client.models import Webhook, WebhookDelivery
from mediagate.client.pagination import AsyncPaginator, Paginator

WebhookRef = Webhook | str


class Webhooks:
    def __init__(self, api: Api, run: Callable[[Op[Any]], Any]) -> None:
        self._api = api
        self._run = run

    def create(
        self, url: str, *, events: Iterable[str] | None = None, description: str | None = None
    ) -> Webhook:
        """A new endpoint for `events` (default: every task status change but `task.created`
        and `task.progress`); keep its `secret`, which signs what it receives."""
        fields = ops.body(url=url, events=events, description=description)
        return self._run(ops.create(self._api, fields))

    def list(self) -> list[Webhook]:
        return self._run(ops.list_all(self._api))

    def get(self, webhook: WebhookRef) -> Webhook:
        return self._run(ops.get(self._api, webhook))

    def update(
        self,
        webhook: WebhookRef,
        *,
        url: str | None = None,
        events: Iterable[str] | None = None,
        description: str | None = None,
        disabled: bool | None = None,
    ) -> Webhook:
        """Change the fields given; `disabled=False` turns a disabled endpoint back on."""
        fields = ops.body(url=url, events=events, description=description, disabled=disabled)
        return self._run(ops.update(self._api, webhook, fields))

    def delete(self, webhook: WebhookRef) -> None:
        self._run(ops.delete(self._api, webhook))

    def rotate_secret(self, webhook: WebhookRef) -> Webhook:
        """A new secret (in the answer); the old one signs too for 24 hours."""
        return self._run(ops.rotate_secret(self._api, webhook))

    def test(self, webhook: WebhookRef) -> WebhookDelivery:
        """Send the endpoint a `webhook.test` event; its delivery (pending) comes back."""
        return self._run(ops.test(self._api, webhook))

    def deliveries(
        self, webhook: WebhookRef = ops.DEFAULT, *, limit: int | None = None
    ) -> Paginator[WebhookDelivery]:
        """The endpoint's delivery log (or "default": deliveries to tasks' callback_url),
        newest first, across every page of `limit` (1-100)."""
        return Paginator(
            lambda cursor: self._run(ops.deliveries_page(self._api, webhook, cursor, limit))
        )

    def redeliver(self, webhook: WebhookRef, delivery: WebhookDelivery | str) -> WebhookDelivery:
        """Send a delivery again (the same event id: receivers deduplicate on it)."""
        delivery_id = delivery.id if isinstance(delivery, WebhookDelivery) else delivery
        return self._run(ops.redeliver(self._api, webhook, delivery_id))

    def default_secret(self) -> str:
        """The account's default secret (`whsec_...`), which signs deliveries to the
        `callback_url` of its tasks."""
        return self._run(ops.default_secret(self._api))


class AsyncWebhooks:
    """`Webhooks` on async HTTP: the same methods, to await."""

    def __init__(self, api: Api, run: Callable[[Op[Any]], Awaitable[Any]]) -> None:
        self._api = api
        self._run = run

    async def create(
        self, url: str, *, events: Iterable[str] | None = None, description: str | None = None
    ) -> Webhook:
        fields = ops.body(url=url, events=events, description=description)
        return await self._run(ops.create(self._api, fields))

    async def list(self) -> list[Webhook]:
        return await self._run(ops.list_all(self._api))

    async def get(self, webhook: WebhookRef) -> Webhook:
        return await self._run(ops.get(self._api, webhook))

    async def update(
        self,
        webhook: WebhookRef,
        *,
        url: str | None = None,
        events: Iterable[str] | None = None,
        description: str | None = None,
        disabled: bool | None = None,
    ) -> Webhook:
        fields = ops.body(url=url, events=events, description=description, disabled=disabled)
        return await self._run(ops.update(self._api, webhook, fields))

    async def delete(self, webhook: WebhookRef) -> None:
        await self._run(ops.delete(self._api, webhook))

    async def rotate_secret(self, webhook: WebhookRef) -> Webhook:
        return await self._run(ops.rotate_secret(self._api, webhook))

    async def test(self, webhook: WebhookRef) -> WebhookDelivery:
        return await self._run(ops.test(self._api, webhook))

    def deliveries(
        self, webhook: WebhookRef = ops.DEFAULT, *, limit: int | None = None
    ) -> AsyncPaginator[WebhookDelivery]:
        return AsyncPaginator(
            lambda cursor: self._run(ops.deliveries_page(self._api, webhook, cursor, limit))
        )

    async def redeliver(
        self, webhook: WebhookRef, delivery: WebhookDelivery | str
    ) -> WebhookDelivery:
        delivery_id = delivery.id if isinstance(delivery, WebhookDelivery) else delivery
        return await self._run(ops.redeliver(self._api, webhook, delivery_id))

    async def default_secret(self) -> str:
        return await self._run(ops.default_secret(self._api))
