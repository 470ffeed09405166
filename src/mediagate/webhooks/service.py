"""Webhook operations behind the HTTP API: endpoints (create, list, get, update, delete, rotate
their secret, send a test event), the account's default secret, the delivery log and
redelivery. Everything belongs to the caller's account and mode: anything else is not found."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from mediagate.accounts.repository import Principal
from mediagate.core.clock import iso_from_us, now_us
from mediagate.core.errors import InvalidParameter, ResourceNotFound
from mediagate.core.ids import new_id, plausible_id
from mediagate.db import Database
from mediagate.providers.egress import check_public_url
from mediagate.webhooks import cursor, repository
from mediagate.webhooks.schemas import DEFAULT_EVENTS, CreateWebhookRequest, UpdateWebhookRequest
from mediagate.webhooks.serialize import (
    delivery_object,
    delivery_seq,
    endpoint_object,
    events_text,
)
from mediagate.webhooks.signing import new_secret

#: The receiver name of the account's callback URLs in the delivery log routes.
DEFAULT = "default"
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 50
#: How long a rotated-out secret keeps signing beside the new one.
SECRET_OVERLAP_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None
    has_more: bool
    total: int


def _not_found() -> ResourceNotFound:
    return ResourceNotFound("webhook endpoint not found")


async def check_public(url: str) -> None:
    """400 naming `url` for a private address (unless allowed: the caller decides)."""
    await check_public_url(url, "url")


async def _endpoint_row(db: Database, principal: Principal, endpoint_id: str) -> Any:
    if not plausible_id(endpoint_id):
        raise _not_found()
    async with db.read() as conn:
        row = await repository.get_endpoint(
            conn, principal.account_id, principal.sandbox, endpoint_id
        )
    if row is None:
        raise _not_found()
    return row


async def create_endpoint(
    db: Database, principal: Principal, body: CreateWebhookRequest, *, allow_private: bool
) -> dict[str, Any]:
    if not allow_private:
        await check_public(body.url)
    now = now_us()
    values = {
        "id": new_id("wh"),
        "account_id": principal.account_id,
        "sandbox": int(principal.sandbox),
        "url": body.url,
        "events": events_text(body.events or DEFAULT_EVENTS),
        "description": body.description,
        "secret": new_secret(),
        "created_at": now,
        "updated_at": now,
    }
    account, sandbox = principal.account_id, principal.sandbox
    async with db.write() as conn:
        if await repository.count_endpoints(conn, account, sandbox) >= MAX_ENDPOINTS:
            raise InvalidParameter(
                "url",
                f"the account has {MAX_ENDPOINTS} webhook endpoints in this mode, the most "
                "allowed; delete one first",
            )
        await repository.insert_endpoint(conn, values)
        row = await repository.get_endpoint(conn, account, sandbox, values["id"])
    return endpoint_object(row)


async def list_endpoints(db: Database, principal: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await repository.list_endpoints(conn, principal.account_id, principal.sandbox)
    return [endpoint_object(row) for row in rows]


async def get_endpoint(db: Database, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return endpoint_object(await _endpoint_row(db, principal, endpoint_id))


async def _update(
    db: Database, principal: Principal, endpoint_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    if not plausible_id(endpoint_id):
        raise _not_found()
    now = now_us()
    account, sandbox = principal.account_id, principal.sandbox
    async with db.write() as conn:
        if not await repository.update_endpoint(
            conn, account, sandbox, endpoint_id, {**values, "updated_at": now}
        ):
            raise _not_found()
        if values.get("disabled") == 1:
            await repository.stop_pending(conn, endpoint_id, now)
        row = await repository.get_endpoint(conn, account, sandbox, endpoint_id)
    return endpoint_object(row)


async def update_endpoint(
    db: Database,
    principal: Principal,
    endpoint_id: str,
    body: UpdateWebhookRequest,
    *,
    allow_private: bool,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if body.url is not None:
        if not allow_private:
            await check_public(body.url)
        values["url"] = body.url
    if body.events is not None:
        values["events"] = events_text(body.events)
    if body.description is not None:
        values["description"] = body.description
    if body.disabled:
        values.update(disabled=1, disabled_reason="disabled through the API")
    elif body.disabled is False:
        # Enabled again: a fresh start (its failing period and reason are history).
        values.update(disabled=0, disabled_reason=None, failing_since=None)
    return await _update(db, principal, endpoint_id, values)


async def delete_endpoint(db: Database, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    if not plausible_id(endpoint_id):
        raise _not_found()
    async with db.write() as conn:
        deleted = await repository.delete_endpoint(
            conn, principal.account_id, principal.sandbox, endpoint_id
        )
    if not deleted:
        raise _not_found()
    return {"id": endpoint_id, "deleted": True}


async def rotate_secret(db: Database, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """A new secret; the current one keeps signing beside it for 24 hours."""
    row = await _endpoint_row(db, principal, endpoint_id)
    previous = endpoint_object(row)["secret"]
    values = {
        "secret": new_secret(),
        "previous_secret": previous,
        "previous_secret_until": now_us() + SECRET_OVERLAP_US,
    }
    return await _update(db, principal, endpoint_id, values)


async def default_secret(db: Database, account_id: str) -> str:
    """The account's default secret (signing its tasks' callback_url deliveries), made on
    first need."""
    async with db.read() as conn:
        secret = await repository.default_secret(conn, account_id)
    if secret is not None:
        return secret
    try:
        async with db.write() as conn:
            await repository.insert_default_secret(conn, account_id, new_secret(), now_us())
    except IntegrityError:
        pass  # made meanwhile by another request or worker
    async with db.read() as conn:
        secret = await repository.default_secret(conn, account_id)
    assert secret is not None
    return secret


async def send_test(db: Database, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """A `webhook.test` delivery to the endpoint (whatever events it takes), through the
    delivery log like any other."""
    row = await _endpoint_row(db, principal, endpoint_id)
    now = now_us()
    event_id = f"evt_test_{secrets.token_hex(12)}"
    payload = {
        "type": TEST_EVENT,
        "timestamp": iso_from_us(now),
        "data": {"webhook_id": row[0], "message": "A test event from mediagate."},
    }
    values = _pending(principal, now) | {
        "endpoint_id": row[0],
        "lane": row[0],
        "event_id": event_id,
        "event_type": TEST_EVENT,
        "payload": orjson.dumps(payload).decode(),
    }
    async with db.write() as conn:
        created = await repository.insert_delivery(conn, values)
    return delivery_object(created)


def _pending(principal: Principal, now: int) -> dict[str, Any]:
    return {
        "account_id": principal.account_id,
        "sandbox": int(principal.sandbox),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "run_at": now,
    }


async def _receiver(db: Database, principal: Principal, receiver: str) -> str | None:
    """The endpoint id of a log route's `{id}`: None for `default` (the callback URLs)."""
    if receiver == DEFAULT:
        return None
    await _endpoint_row(db, principal, receiver)
    return receiver


async def deliveries_page(
    db: Database, principal: Principal, receiver: str, *, cursor_text: str | None, limit: int
) -> Page:
    endpoint_id = await _receiver(db, principal, receiver)
    before = cursor.decode(cursor_text) if cursor_text is not None else None
    account, sandbox = principal.account_id, principal.sandbox
    async with db.read() as conn:
        rows = await repository.delivery_page(
            conn, account, sandbox, endpoint_id, before=before, limit=limit + 1
        )
        total = await repository.delivery_count(conn, account, sandbox, endpoint_id)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor.encode(rows[-1][0]) if has_more else None
    return Page([delivery_object(r) for r in rows], next_cursor, has_more, total)


async def redeliver(
    db: Database, principal: Principal, receiver: str, delivery_id: str
) -> dict[str, Any]:
    """A new pending delivery of the same event (the same `webhook-id`) to the same receiver."""
    endpoint_id = await _receiver(db, principal, receiver)
    seq = delivery_seq(delivery_id)
    if seq is None:
        raise ResourceNotFound("delivery not found")
    now = now_us()
    async with db.write() as conn:
        found = await repository.delivery_to_repeat(
            conn, principal.account_id, principal.sandbox, endpoint_id, seq
        )
        if found is None:
            raise ResourceNotFound("delivery not found")
        keys = ("endpoint_id", "callback_url", "lane", "event_seq", "event_id", "event_type")
        values = _pending(principal, now) | dict(zip(keys, found[:6], strict=True))
        values["payload"] = found[6]
        created = await repository.insert_delivery(conn, values)
    return delivery_object(created)


async def task_deliveries(
    db: Database, principal: Principal, task_id: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The deliveries of one task's events (the caller has already found the task), newest
    first; each names its `webhook_id` (None: the task's callback URL)."""
    async with db.read() as conn:
        rows = await repository.task_deliveries(conn, principal.account_id, task_id, limit)
    return [{**delivery_object(row[:-1]), "webhook_id": row[-1]} for row in rows]
