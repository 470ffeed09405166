"""`client.webhooks` against real gateways: endpoints, secrets, test events, the delivery log and
redelivery; deliveries to a receiver on loopback, signed with the secret the client was given."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from client_support import Gateway, HookReceiver

from mediagate import AsyncClient, Client, InvalidParameter, WebhookDelivery
from mediagate.client import ConfigurationError, NotFoundError


def _until(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)
    return value


def _signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return f"v1,{expected}" in headers["webhook-signature"].split(" ")


def _delivered(client: Client, webhook_id: str, delivery_id: str) -> WebhookDelivery | None:
    for delivery in client.webhooks.deliveries(webhook_id):
        if delivery.id == delivery_id and delivery.status == "succeeded":
            return delivery
    return None


def test_endpoints_test_events_log_and_redelivery(
    hook_gateway: Gateway, receiver: HookReceiver
) -> None:
    with hook_gateway.client() as client:
        hook = client.webhooks.create(receiver.url, events=["task.succeeded"], description="ci")
        assert hook.id.startswith("wh_") and hook.secret and hook.secret.startswith("whsec_")
        assert hook.events == ["task.succeeded"] and not hook.disabled
        assert [w.id for w in client.webhooks.list()] == [hook.id]
        assert client.webhooks.get(hook.id).url == receiver.url

        sent = client.webhooks.test(hook)
        assert sent.event_type == "webhook.test" and sent.status == "pending"
        done = _until(lambda: _delivered(client, hook.id, sent.id))
        assert done.attempts == 1 and done.response_status == 200
        [(headers, body)] = receiver.got
        assert headers["webhook-id"] == sent.event_id and _signed_by(hook.secret, headers, body)
        assert json.loads(body)["type"] == "webhook.test"

        again = client.webhooks.redeliver(hook.id, sent)
        assert again.id != sent.id and again.event_id == sent.event_id
        _until(lambda: _delivered(client, hook.id, again.id))
        assert [h["webhook-id"] for h, _ in receiver.got] == [sent.event_id] * 2  # a repeat

        updated = client.webhooks.update(hook, description="moved", disabled=True)
        assert updated.description == "moved" and updated.disabled
        rotated = client.webhooks.rotate_secret(hook.id)
        assert rotated.secret and rotated.secret != hook.secret

        secret = client.webhooks.default_secret()
        assert secret.startswith("whsec_") and client.webhooks.default_secret() == secret
        task = client.tasks.create(
            type="image", model="local-image", input={"prompt": "x"}, callback_url=receiver.url
        )
        client.tasks.wait(task, timeout=60)
        [(headers, body)] = _until(
            lambda: [(h, b) for h, b in receiver.got if json.loads(b)["type"] == "task.succeeded"]
        )
        assert json.loads(body)["data"]["id"] == task.id and _signed_by(secret, headers, body)
        log = list(client.webhooks.deliveries("default"))
        assert headers["webhook-id"] in {d.event_id for d in log}

        client.webhooks.delete(hook)
        with pytest.raises(NotFoundError):
            client.webhooks.get(hook.id)
        with pytest.raises(InvalidParameter):
            client.webhooks.create("ftp://example.com/hook")
        with pytest.raises(ConfigurationError):
            client.webhooks.get("wh_../../tasks")


def test_webhooks_on_both_databases(any_gateway: Gateway) -> None:
    """An endpoint at a public address (nothing answers there: deliveries stay pending or
    fail), its log paged, its test event redelivered."""
    with any_gateway.client() as client, any_gateway.client() as other:
        hook = client.webhooks.create("https://93.184.215.14/hook", description="both")
        assert "task.created" not in hook.events and "task.succeeded" in hook.events
        made = [client.webhooks.test(hook.id) for _ in range(3)]
        log = client.webhooks.deliveries(hook.id, limit=2)
        listed = list(log)
        assert [d.id for d in listed] == [d.id for d in reversed(made)]  # newest first
        assert log.total == 3 and {d.event_type for d in listed} == {"webhook.test"}
        assert client.webhooks.redeliver(hook.id, made[0].id).event_id == made[0].event_id
        assert other.webhooks.list() == []
        with pytest.raises(NotFoundError):
            other.webhooks.get(hook.id)  # another account's endpoint does not exist
        client.webhooks.delete(hook.id)
        assert client.webhooks.list() == []


def test_async_webhooks(hook_gateway: Gateway, receiver: HookReceiver) -> None:
    key = hook_gateway.new_key()

    async def scenario() -> None:
        async with AsyncClient(hook_gateway.base_url, key) as client:
            hook = await client.webhooks.create(receiver.url)
            assert [w.id for w in await client.webhooks.list()] == [hook.id]
            sent = await client.webhooks.test(hook.id)
            deadline = time.monotonic() + 30
            while not [d async for d in client.webhooks.deliveries(hook) if d.status != "pending"]:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            assert [d.id async for d in client.webhooks.deliveries(hook)] == [sent.id]
            assert (await client.webhooks.default_secret()).startswith("whsec_")
            await client.webhooks.delete(hook)
            assert await client.webhooks.list() == []

    asyncio.run(scenario())
