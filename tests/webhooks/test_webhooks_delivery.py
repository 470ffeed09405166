"""Webhook deliveries end to end, over real HTTP: tasks made through the API and run by the
engine, a receiver on loopback that records and verifies every delivery with the
`standardwebhooks` library, and the delivery log read back through the API."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time

import pytest
from sqlalchemy import text
from standardwebhooks import WebhookVerificationError
from webhook_support import (
    LANE_LIMIT,
    NARROW_SLOTS,
    NARROW_TIMEOUT_S,
    TIMEOUT_S,
    Answer,
    wait_until,
)

from helpers import ISO_Z, wait_for
from mediagate.core.clock import now_us
from mediagate.storage.factory import build_storage
from mediagate.tasks.housekeeping import expire_results

pytestmark = pytest.mark.slow

CALLBACK_TYPES = {
    "task.queued", "task.running", "task.succeeded", "task.failed", "task.cancelled",
    "task.expired",
}  # fmt: skip
DAY_US = 86_400_000_000


def _task(http, model: str = "local-image", prompt: str | None = None, **extra) -> str:
    body = {"type": "image", "model": model, "input": {"prompt": prompt or secrets.token_hex(4)}}
    r = http.post("/api/v1/tasks", json={**body, **extra})
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def _endpoint(http, url: str, **body) -> dict:
    r = http.post("/api/v1/webhooks", json={"url": url, **body})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _log(http, receiver_id: str, **params) -> dict:
    r = http.get(f"/api/v1/webhooks/{receiver_id}/deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _wait_log(http, receiver_id: str, check, timeout: float = 20) -> list[dict]:
    return wait_until(
        lambda: (items := _log(http, receiver_id, limit=100)["data"]) and check(items) and items,
        timeout,
        f"delivery log of {receiver_id}",
    )


def _send_test(http, endpoint_id: str) -> dict:
    r = http.post(f"/api/v1/webhooks/{endpoint_id}/test")
    assert r.status_code == 202, r.text
    return r.json()["data"]


def _timeline(http, task_id: str) -> list[dict]:
    return http.get(f"/api/v1/tasks/{task_id}/events").json()["data"]


def _expire(gateway, task_id: str) -> None:
    """Age the task's completion by two days and run the retention purge for one day: the
    real expiry, reaching only this task."""

    async def run() -> None:
        async with gateway.db.write() as conn:
            await conn.execute(
                text("UPDATE tasks SET completed_at = completed_at - :age WHERE id = :id"),
                {"age": 2 * DAY_US, "id": task_id},
            )
        storage = await build_storage(gateway.app.state.settings, gateway.db)
        try:
            assert await expire_results(gateway.db, storage, DAY_US) == 1
        finally:
            await storage.aclose()

    gateway.run(run())


def _check_delivery(got, secret: str, event: dict) -> None:
    """A delivery of `event`: signed with `secret`, the contract's body."""
    payload = got.verify(secret)
    assert got.webhook_id == event["id"]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-timestamp"].isdigit()
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == event["type"]
    assert payload["timestamp"] == event["created_at"] and ISO_Z.fullmatch(payload["timestamp"])
    data = payload["data"]
    assert data["id"] == event["data"]["id"]
    assert data["status"] == event["data"]["status"]
    if event["type"] == "task.succeeded":
        assert data["result"][0]["url"].startswith("http")
    if event["type"] in ("task.failed", "task.expired"):
        assert data["error"]["code"]


def test_every_final_status_reaches_the_callback_url_and_the_endpoint(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/endpoint"))
        default_secret = http.get("/api/v1/webhooks/default/secret").json()["data"]["secret"]
        callback = {"callback_url": receiver.url("/callback")}
        succeeded = _task(http, **callback)
        expired = _task(http, **callback)
        failed = _task(http, "scripted-image", f"badinput {secrets.token_hex(3)}", **callback)
        cancelled = _task(http, "scripted-image", f"queue:30 {secrets.token_hex(3)}", **callback)
        wait_for(http, cancelled, {"queued"})
        assert http.post(f"/api/v1/tasks/{cancelled}/cancel").status_code == 200
        statuses = {t: wait_for(http, t)["status"] for t in (succeeded, expired, failed, cancelled)}
        assert statuses == {succeeded: "succeeded", expired: "succeeded", failed: "failed",
                            cancelled: "cancelled"}  # fmt: skip
        _expire(gateway, expired)
        wait_for(http, expired, {"expired"})

        events = {
            e["id"]: e
            for t in (succeeded, expired, failed, cancelled)
            for e in _timeline(http, t)
            if e["type"] in CALLBACK_TYPES
        }
        finals = {events[i]["type"] for i in events} & {f"task.{s}" for s in statuses.values()}
        assert finals | {"task.expired"} == {
            "task.succeeded", "task.failed", "task.cancelled", "task.expired"
        }  # fmt: skip
        for path, secret in (("/callback", default_secret), ("/endpoint", endpoint["secret"])):
            got = receiver.wait(path, lambda g: {r.webhook_id for r in g} >= set(events))
            assert sorted(r.webhook_id for r in got) == sorted(events), path  # each once
            for delivery in got:
                _check_delivery(delivery, secret, events[delivery.webhook_id])
        for receiver_id in ("default", endpoint["id"]):
            log = _wait_log(
                http, receiver_id, lambda items: all(d["status"] == "succeeded" for d in items)
            )
            assert sorted(d["event_id"] for d in log) == sorted(events)
            for item in log:
                assert item["attempts"] == 1 and item["response_status"] == 200
                assert item["error"] is None and item["next_attempt_at"] is None
                assert isinstance(item["duration_ms"], int) and item["duration_ms"] >= 0


def test_endpoints_get_only_their_events_their_mode_and_their_account(gateway, receiver):
    name = f"acct-{secrets.token_hex(5)}"
    live_key, test_key = gateway.new_key(account=name), gateway.new_key(account=name, test=True)
    stranger = gateway.new_key()
    with (
        gateway.client(live_key.secret) as live_http,
        gateway.client(test_key.secret) as test_http,
        gateway.client(stranger.secret) as stranger_http,
    ):
        wants_success = _endpoint(live_http, receiver.url("/success"), events=["task.succeeded"])
        wants_failure = _endpoint(live_http, receiver.url("/failure"), events=["task.failed"])
        every = ["task.created", "task.progress", *sorted(CALLBACK_TYPES)]
        sandbox = _endpoint(test_http, receiver.url("/sandbox"), events=every)
        theirs = _endpoint(stranger_http, receiver.url("/stranger"), events=every)
        live_task = _task(live_http)
        test_task = _task(test_http)
        assert wait_for(live_http, live_task)["status"] == "succeeded"
        assert wait_for(test_http, test_task)["status"] == "succeeded"

        [got] = receiver.wait_count("/success", 1)
        assert got.verify(wants_success["secret"])["data"]["id"] == live_task
        assert got.json["type"] == "task.succeeded"
        sandbox_types = [e["type"] for e in _timeline(test_http, test_task)]
        got = receiver.wait_count("/sandbox", len(sandbox_types))
        assert {r.verify(sandbox["secret"])["data"]["id"] for r in got} == {test_task}
        assert sorted(r.json["type"] for r in got) == sorted(sandbox_types)
        assert "task.created" in sandbox_types
        # Deliveries are written with the events: a final task has all of its own already.
        assert _log(live_http, wants_failure["id"])["pagination"]["total"] == 0
        assert _log(stranger_http, theirs["id"])["pagination"]["total"] == 0
        assert _log(live_http, wants_success["id"])["pagination"]["total"] == 1
        assert receiver.got("/failure") == [] and receiver.got("/stranger") == []


def test_failures_are_retried_on_the_schedule_then_the_delivery_fails(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/down"))
        receiver.script("/down", *[Answer(500, body=b"database down")] * 4)
        sent = _send_test(http, endpoint["id"])
        [item] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "failed")
        got = receiver.got("/down")
        assert len(got) == 4  # the first try and the schedule's three retries
        assert {r.webhook_id for r in got} == {sent["event_id"]}
        gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
        assert all(gap >= 0.2 for gap in gaps), gaps
        assert item["id"] == sent["id"] and item["attempts"] == 4
        assert item["response_status"] == 500
        assert item["error"] == "HTTP 500: database down"
        assert item["next_attempt_at"] is None
        assert http.get(f"/api/v1/webhooks/{endpoint['id']}").json()["data"]["disabled"] is False


def test_a_retry_waits_for_retry_after(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/busy"))
        receiver.script("/busy", Answer(503, {"Retry-After": "2"}, body=b"busy"))
        _send_test(http, endpoint["id"])
        [pending] = _wait_log(http, endpoint["id"], lambda items: items[0]["attempts"] == 1
                              and items[0]["response_status"] == 503)  # fmt: skip
        assert pending["status"] == "pending" and pending["error"] == "HTTP 503: busy"
        assert ISO_Z.fullmatch(pending["next_attempt_at"])
        got = receiver.wait_count("/busy", 2, timeout=10)
        assert got[1].at - got[0].at >= 1.95
        [done] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "succeeded")
        assert done["attempts"] == 2 and done["response_status"] == 200


def test_a_receiver_that_hangs_is_retried_after_the_timeout(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/hang"))
        receiver.script("/hang", Answer(hold=receiver.hold()))
        _send_test(http, endpoint["id"])
        got = receiver.wait_count("/hang", 2, timeout=10)
        assert got[1].at - got[0].at >= TIMEOUT_S
        [done] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "succeeded")
        assert done["attempts"] == 2 and done["response_status"] == 200


def test_redirects_are_not_followed(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/moved"))
        receiver.script("/moved", Answer(307, {"Location": receiver.url("/elsewhere")}))
        _send_test(http, endpoint["id"])
        [item] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "succeeded")
    assert item["attempts"] == 2  # the 307 was a failed try, retried at the same URL
    assert len(receiver.got("/moved")) == 2 and receiver.got("/elsewhere") == []


def test_410_gone_disables_the_endpoint_at_once(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/gone"))
        receiver.script("/gone", Answer(410))
        first = _send_test(http, endpoint["id"])
        [item] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "failed")
        assert item["attempts"] == 1 and item["response_status"] == 410
        assert http.get(f"/api/v1/webhooks/{endpoint['id']}").json()["data"]["disabled"] is True
        # A disabled endpoint gets no new events, and a test delivery to it fails unsent.
        task_id = _task(http)
        wait_for(http, task_id)
        second = _send_test(http, endpoint["id"])
        log = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "failed")
        assert [d["id"] for d in log] == [second["id"], first["id"]]
        assert log[0]["error"] == "the endpoint is disabled"
        assert len(receiver.got("/gone")) == 1
        # Enabled again, it is delivered to.
        r = http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"disabled": False})
        assert r.json()["data"]["disabled"] is False
        third = _send_test(http, endpoint["id"])
        [got] = receiver.wait_count("/gone", 2)[1:]
        assert got.webhook_id == third["event_id"]


def test_an_endpoint_failing_for_five_days_is_disabled(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/failing"))

        async def failing_since_five_days() -> None:
            async with gateway.db.write() as conn:
                await conn.execute(
                    text("UPDATE webhook_endpoints SET failing_since = :t WHERE id = :id"),
                    {"t": now_us() - 5 * DAY_US - 1_000_000, "id": endpoint["id"]},
                )

        gateway.run(failing_since_five_days())
        receiver.script("/failing", Answer(500))
        _send_test(http, endpoint["id"])
        [item] = _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "failed")
        assert item["attempts"] == 1  # no retry: the endpoint is disabled
        assert http.get(f"/api/v1/webhooks/{endpoint['id']}").json()["data"]["disabled"] is True


def test_disabling_or_deleting_an_endpoint_stops_its_deliveries(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/later"))
        receiver.script("/later", Answer(503, {"Retry-After": "60"}))
        _send_test(http, endpoint["id"])
        _wait_log(http, endpoint["id"], lambda items: items[0]["response_status"] == 503)
        http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"disabled": True})
        [item] = _log(http, endpoint["id"])["data"]
        assert item["status"] == "failed" and item["next_attempt_at"] is None
        assert item["error"] == "the endpoint is disabled"

        doomed = _endpoint(http, receiver.url("/doomed"))
        receiver.script("/doomed", Answer(503, {"Retry-After": "1"}))
        _send_test(http, doomed["id"])
        _wait_log(http, doomed["id"], lambda items: items[0]["response_status"] == 503)
        assert http.delete(f"/api/v1/webhooks/{doomed['id']}").status_code == 200
        assert http.get(f"/api/v1/webhooks/{doomed['id']}/deliveries").status_code == 404
        time.sleep(1.5)  # past the Retry-After: nothing is sent any more
        assert len(receiver.got("/doomed")) == 1


def test_a_rotated_secret_signs_beside_the_new_one(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/rotated"))
        old = endpoint["secret"]
        new = http.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret").json()["data"]["secret"]
        sent = _send_test(http, endpoint["id"])
        [got] = receiver.wait_count("/rotated", 1)
    signatures = got.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (old, new):
        payload = got.verify(secret)
        assert payload["type"] == "webhook.test"
        assert payload["data"]["webhook_id"] == endpoint["id"]
    assert got.webhook_id == sent["event_id"]
    with pytest.raises(WebhookVerificationError):
        got.verify("whsec_" + "A" * 43 + "=")


def test_redelivery_sends_the_same_event_again(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/again"))
        sent = _send_test(http, endpoint["id"])
        _wait_log(http, endpoint["id"], lambda items: items[0]["status"] == "succeeded")
        r = http.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{sent['id']}/redeliver")
        assert r.status_code == 202
        copy = r.json()["data"]
        assert copy["id"] != sent["id"] and copy["event_id"] == sent["event_id"]
        assert copy["status"] == "pending" and copy["attempts"] == 0
        first, second = receiver.wait_count("/again", 2)
        assert first.webhook_id == second.webhook_id == sent["event_id"]
        assert first.verify(endpoint["secret"]) == second.verify(endpoint["secret"])
        log = _wait_log(http, endpoint["id"], lambda items: len(items) == 2
                        and all(d["status"] == "succeeded" for d in items))  # fmt: skip
        assert [d["id"] for d in log] == [copy["id"], sent["id"]]

        # A callback delivery, through `default`.
        task_id = _task(http, callback_url=receiver.url("/callback-again"))
        wait_for(http, task_id)
        items = _wait_log(
            http, "default", lambda items: any(d["event_type"] == "task.succeeded" for d in items)
        )
        final = next(d for d in items if d["event_type"] == "task.succeeded")
        r = http.post(f"/api/v1/webhooks/default/deliveries/{final['id']}/redeliver")
        assert r.status_code == 202
        secret = http.get("/api/v1/webhooks/default/secret").json()["data"]["secret"]
        got = receiver.wait(
            "/callback-again", lambda g: [r.webhook_id for r in g].count(final["event_id"]) == 2
        )
        for delivery in got:
            assert delivery.verify(secret)["data"]["id"] == task_id
        # Another receiver's delivery is not this one's.
        r = http.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{final['id']}/redeliver")
        assert r.status_code == 404


def test_the_delivery_log_pages_newest_first(gateway, receiver):
    key = gateway.new_key()
    with gateway.client(key.secret) as http:
        endpoint = _endpoint(http, receiver.url("/paged"))
        sent = [_send_test(http, endpoint["id"]) for _ in range(5)]
        _wait_log(http, endpoint["id"], lambda items: len(items) == 5
                  and all(d["status"] == "succeeded" for d in items))  # fmt: skip
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = _log(http, endpoint["id"], **params)
            pages += 1
            assert page["pagination"]["total"] == 5
            assert len(page["data"]) == (2 if page["pagination"]["hasMore"] else 1)
            seen += page["data"]
            cursor = page["pagination"]["cursor"]
            if not page["pagination"]["hasMore"]:
                assert cursor is None
                break
        assert pages == 3
        assert [d["id"] for d in seen] == [d["id"] for d in reversed(sent)]
        for item, request in zip(seen, reversed(sent), strict=True):
            assert item["event_id"] == request["event_id"]
            assert item["event_type"] == "webhook.test"
            assert item["created_at"] == request["created_at"]


def test_a_hanging_receiver_does_not_delay_another_endpoint(narrow_gateway, receiver):
    """More deliveries to a receiver that holds them than the process has delivery slots:
    without lanes they would fill every slot until they time out (8 s), and the other endpoint
    would wait that long. The slow lane takes LANE_LIMIT slots; the rest serve the other."""
    key = narrow_gateway.new_key()
    with narrow_gateway.client(key.secret) as http:
        slow = _endpoint(http, receiver.url("/slow"))
        fast = _endpoint(http, receiver.url("/fast"))
        hold = receiver.hold()
        slow_count = NARROW_SLOTS * 2
        receiver.script("/slow", *[Answer(hold=hold)] * slow_count)
        for _ in range(slow_count):
            _send_test(http, slow["id"])
        receiver.wait_count("/slow", LANE_LIMIT)
        started = time.monotonic()
        for _ in range(6):
            _send_test(http, fast["id"])
        receiver.wait_count("/fast", 6, timeout=NARROW_TIMEOUT_S / 2)
        assert time.monotonic() - started < NARROW_TIMEOUT_S / 2
        assert len(receiver.got("/slow")) == LANE_LIMIT  # held, and no more taken
        hold.set()
        receiver.wait_count("/slow", slow_count)
        _wait_log(http, slow["id"], lambda items: len(items) == slow_count
                  and all(d["status"] == "succeeded" for d in items))  # fmt: skip
    assert receiver.max_in_flight("/slow") <= LANE_LIMIT


def test_a_private_callback_url_is_refused_at_create_and_at_delivery(engine_live, receiver):
    """The default egress rule (no MEDIAGATE_FETCH_PRIVATE_URLS): a loopback callback URL is a
    400 at create; one already stored (its name resolved to a public address then) gets nothing
    at delivery, the log says why, and the delivery waits for its retry."""
    with engine_live.client() as http:
        r = http.post("/api/v1/tasks", json={
            "type": "image", "model": "local-image", "input": {"prompt": "p"},
            "callback_url": receiver.url("/private"),
        })  # fmt: skip
        assert r.status_code == 400 and r.json()["error"]["message"].startswith("callback_url:")
        task_id = asyncio.run(_stored_task(engine_live.url, receiver.url("/private")))
        wait_for(http, task_id)
        items = _wait_log(
            http, "default", lambda items: any(d["event_id"] and d["error"] for d in items)
        )
    refused = next(d for d in items if d["error"])
    assert "127.0.0.1" in refused["error"] and "private" in refused["error"]
    assert refused["status"] == "pending" and refused["response_status"] is None
    assert refused["next_attempt_at"] is not None
    assert receiver.got() == []


@pytest.mark.parametrize(
    ("host", "shown"),
    [("localhost", "localhost resolves to"), ("[::127.0.0.1]", "::127.0.0.1 is")],
)
def test_an_endpoint_on_a_private_address_gets_nothing(engine_live, receiver, host, shown):
    """An endpoint registered on a public address whose URL now names loopback: by a name that
    resolves to it (as after a DNS change), or as an IPv4-compatible IPv6 address. Delivery
    refuses the address it would connect to, the log says why, the receiver gets nothing."""
    with engine_live.client() as http:
        endpoint = _endpoint(http, "https://93.184.215.14/hooks/moved")
        private = receiver.url("/moved").replace("127.0.0.1", host)
        asyncio.run(_set_endpoint_url(engine_live.url, endpoint["id"], private))
        try:
            wait_for(http, _task(http))
            items = _wait_log(http, endpoint["id"], lambda items: any(d["error"] for d in items))
        finally:
            assert http.delete(f"/api/v1/webhooks/{endpoint['id']}").status_code in (200, 204)
    refused = next(d for d in items if d["error"])
    assert refused["error"].startswith(shown), refused
    assert "loopback address" in refused["error"]
    assert refused["response_status"] is None and refused["next_attempt_at"] is not None
    assert receiver.got() == []


async def _set_endpoint_url(url: str, endpoint_id: str, endpoint_url: str) -> None:
    from mediagate.db import Database
    from mediagate.db.urls import parse_database_url

    db = Database(parse_database_url(url))
    try:
        async with db.write() as conn:
            await conn.execute(
                text("UPDATE webhook_endpoints SET url = :url WHERE id = :id"),
                {"url": endpoint_url, "id": endpoint_id},
            )
    finally:
        await db.close()


async def _stored_task(url: str, callback_url: str) -> str:
    """A due task of the engine tests' account with `callback_url`, written to the store."""
    from mediagate.core.ids import new_id
    from mediagate.db import Database
    from mediagate.db.urls import parse_database_url
    from mediagate.tasks import repository

    db = Database(parse_database_url(url))
    try:
        async with db.write() as conn:
            key = (await conn.execute(text(
                "SELECT k.id, k.account_id FROM api_keys k JOIN accounts a ON a.id = k.account_id "
                "WHERE a.name = 'engine-tests' AND k.mode = 'live'"
            ))).first()  # fmt: skip
            now, task_id = now_us(), new_id("task")
            await repository.insert(conn, {
                "id": task_id, "account_id": key[1], "key_id": key[0], "type": "image",
                "model": "local-image", "provider": "local", "status": "pending",
                "input": '{"prompt": "p", "width": 64, "height": 64, "format": "png", '
                '"render_seconds": 0}',
                "metadata": "{}", "callback_url": callback_url, "timeout_s": 60,
                "created_at": now, "updated_at": now, "run_at": now,
                "deadline_at": now + 60_000_000,
            })  # fmt: skip
        return task_id
    finally:
        await db.close()
