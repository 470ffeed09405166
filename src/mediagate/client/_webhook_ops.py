"""The calls of `client.webhooks` as operations (see `_effects.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client._parse import validate
from mediagate.client.errors import ConfigurationError, InvalidResponse
from mediagate.client.models import ID, Page, Webhook, WebhookDelivery

#: The delivery log of the account's default secret (deliveries to tasks' `callback_url`).
DEFAULT = "default"


def _segment(value: str, what: str) -> str:
    """An id checked before it goes into a URL path."""
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise ConfigurationError(f"{value!r} is not a {what} id")
    return quote(value, safe="")


def _path(webhook: Webhook | str, *rest: str) -> str:
    webhook_id = webhook.id if isinstance(webhook, Webhook) else webhook
    return "/".join(("webhooks", _segment(webhook_id, "webhook"), *rest))


def body(
    *,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    disabled: bool | None = None,
) -> dict[str, Any]:
    """The fields given (None: left out, so the gateway's default or the current value holds)."""
    fields: dict[str, Any] = {
        "url": url,
        "events": None if events is None else list(events),
        "description": description,
        "disabled": disabled,
    }
    return {name: value for name, value in fields.items() if value is not None}


def create(api: Api, fields: dict[str, Any]) -> Op[Webhook]:
    answer = yield from api.call("POST", "webhooks", json=fields)
    return validate(Webhook, answer.data, "webhook")


def list_all(api: Api) -> Op[list[Webhook]]:
    answer = yield from api.call("GET", "webhooks")
    return validate(list[Webhook], answer.data, "webhook list")


def get(api: Api, webhook: Webhook | str) -> Op[Webhook]:
    answer = yield from api.call("GET", _path(webhook))
    return validate(Webhook, answer.data, "webhook")


def update(api: Api, webhook: Webhook | str, fields: dict[str, Any]) -> Op[Webhook]:
    if not fields:
        raise ConfigurationError("webhooks.update() needs a field to change")
    answer = yield from api.call("PATCH", _path(webhook), json=fields)
    return validate(Webhook, answer.data, "webhook")


def delete(api: Api, webhook: Webhook | str) -> Op[None]:
    yield from api.call("DELETE", _path(webhook))


def rotate_secret(api: Api, webhook: Webhook | str) -> Op[Webhook]:
    answer = yield from api.call("POST", _path(webhook, "rotate-secret"))
    return validate(Webhook, answer.data, "webhook")


def test(api: Api, webhook: Webhook | str) -> Op[WebhookDelivery]:
    answer = yield from api.call("POST", _path(webhook, "test"))
    return validate(WebhookDelivery, answer.data, "delivery")


def deliveries_page(
    api: Api, webhook: Webhook | str, cursor: str | None, limit: int | None
) -> Op[Page[WebhookDelivery]]:
    query = {name: str(value) for name, value in (("cursor", cursor), ("limit", limit)) if value}
    answer = yield from api.call("GET", _path(webhook, "deliveries"), params=query)
    page = {"data": answer.data, "pagination": answer.pagination}
    return validate(Page[WebhookDelivery], page, "delivery log")


def redeliver(api: Api, webhook: Webhook | str, delivery: str) -> Op[WebhookDelivery]:
    path = _path(webhook, "deliveries", _segment(delivery, "delivery"), "redeliver")
    answer = yield from api.call("POST", path)
    return validate(WebhookDelivery, answer.data, "delivery")


def default_secret(api: Api) -> Op[str]:
    answer = yield from api.call("GET", "webhooks/default/secret")
    secret = answer.data.get("secret") if isinstance(answer.data, dict) else None
    if not isinstance(secret, str) or not secret:
        raise InvalidResponse("the gateway's default secret answer has no secret")
    return secret
