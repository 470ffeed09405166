"""Credits end to end over HTTP, with the engine running the scripted provider: holds at create,
exactly one charge or release for every way a task ends, 402s, spend limits, sandbox keys, and
the ledger recomputed after each test."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from billing_support import (
    MICROS,
    SCRIPTED_PRICE,
    check_ledger,
    ledger_of,
    new_account,
    on_db,
    scripted,
)
from sqlalchemy import text

from helpers import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def prepaid(engine_live):
    """An account granted credits for four scripted tasks."""
    account = new_account(engine_live.url, engine_live.base_url, credits=4 * SCRIPTED_PRICE)
    yield account
    check_ledger(engine_live.url, account.id)


def _account(http):
    r = http.get("/api/v1/account")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _create(http, prompt, **extra):
    r = http.post("/api/v1/tasks", json=scripted(prompt, **extra))
    assert r.status_code == 202, r.text
    return r.json()["data"]


def test_a_succeeded_task_holds_at_create_then_charges_its_cost(engine_live, prepaid):
    with prepaid.client() as http:
        before = _account(http)
        assert before["billing"] == "prepaid"
        assert (before["balance"], before["held"], before["available"]) == (1.0, 0.0, 1.0)
        task = _create(http, "run:1")
        held = _account(http)
        if task["status"] == "pending":  # a fast worker may already have settled it
            assert held["held"] in (0.25, 0.0)
        done = wait_for(http, task["id"])
        assert done["status"] == "succeeded" and done["cost"] == 0.25
        after = _account(http)
    assert (after["balance"], after["held"], after["available"]) == (0.75, 0.0, 0.75)
    assert after["spent_this_month"] == 0.25
    entries = [(t, a, b, tid) for t, a, b, tid in ledger_of(engine_live.url, prepaid.id)]
    assert entries == [
        ("grant", 1 * MICROS, 1 * MICROS, None),
        ("hold", SCRIPTED_PRICE, 1 * MICROS, task["id"]),
        ("charge", SCRIPTED_PRICE, 750_000, task["id"]),
    ]


@pytest.mark.parametrize(
    ("prompt", "status", "code"),
    [
        ("badinput", "failed", "INVALID_INPUT"),  # failed at submit
        ("banned queue:0 run:0.2", "failed", "CONTENT_POLICY_VIOLATION"),  # failed at poll
        ("flaky:9", "failed", "PROVIDER_ERROR"),  # attempts spent
    ],
)
def test_a_task_that_fails_releases_its_whole_hold(engine_live, prepaid, prompt, status, code):
    with prepaid.client() as http:
        task = _create(http, prompt)
        done = wait_for(http, task["id"], timeout=60)
        assert done["status"] == status and done["cost"] == 0, done
        account = _account(http)
    assert (account["balance"], account["held"]) == (1.0, 0.0)
    kinds = [(t, a) for t, a, _, tid in ledger_of(engine_live.url, prepaid.id) if tid]
    assert kinds == [("hold", SCRIPTED_PRICE), ("release", SCRIPTED_PRICE)]


def test_a_timeout_releases_the_hold(engine_live, prepaid):
    with prepaid.client() as http:
        task = _create(http, "queue:30", timeout_s=1)
        done = wait_for(http, task["id"], timeout=60)
        assert done["status"] == "failed" and done["error"]["code"] == "TIMEOUT"
        assert _account(http)["held"] == 0.0
    kinds = [t for t, _, _, tid in ledger_of(engine_live.url, prepaid.id) if tid]
    assert kinds == ["hold", "release"]


@pytest.mark.parametrize(
    ("prompt", "status"),
    [("hang_submit:3", "pending"), ("queue:30", "queued"), ("queue:0 run:30", "running")],
)
def test_a_cancel_in_any_unfinished_status_releases_the_hold(engine_live, prepaid, prompt, status):
    with prepaid.client() as http:
        task = _create(http, prompt)
        assert wait_for(http, task["id"], until={status})["status"] == status
        r = http.post(f"/api/v1/tasks/{task['id']}/cancel")
        assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled", r.text
        assert _account(http)["held"] == 0.0
    kinds = [t for t, _, _, tid in ledger_of(engine_live.url, prepaid.id) if tid]
    assert kinds == ["hold", "release"]


def test_an_expired_result_is_not_charged_again(engine_live, prepaid):
    with prepaid.client() as http:
        task = _create(http, "run:0.1")
        wait_for(http, task["id"])

        async def expire(db):
            async with db.write() as conn:
                await conn.execute(
                    text("UPDATE tasks SET status = 'expired', result = NULL WHERE id = :t"),
                    {"t": task["id"]},
                )

        on_db(engine_live.url, expire)
        assert http.get(f"/api/v1/tasks/{task['id']}").json()["data"]["status"] == "expired"
        assert _account(http)["balance"] == 0.75
    kinds = [t for t, _, _, tid in ledger_of(engine_live.url, prepaid.id) if tid]
    assert kinds == ["hold", "charge"]


def test_without_credits_a_create_is_refused_with_the_amounts(engine_live):
    account = new_account(engine_live.url, engine_live.base_url, credits=SCRIPTED_PRICE + 1)
    with account.client() as http:
        first = _create(http, "queue:20")
        r = http.post("/api/v1/tasks", json=scripted("queue:20"))
        assert r.status_code == 402, r.text
        error = r.json()["error"]
        assert error["code"] == "INSUFFICIENT_CREDITS"
        assert "needs 0.25" in error["message"] and "0.000001 available" in error["message"]
        listed = http.get("/api/v1/tasks").json()
        assert [t["id"] for t in listed["data"]] == [first["id"]]  # no task was made
        assert listed["pagination"]["total"] == 1
        http.post(f"/api/v1/tasks/{first['id']}/cancel")
        # Released: the same request is accepted now.
        assert http.post("/api/v1/tasks", json=scripted("queue:20")).status_code == 202
    check_ledger(engine_live.url, account.id)


def test_concurrent_creates_never_overdraw(engine_live):
    """50 creates at once against credits for 10: exactly 10 are accepted."""
    account = new_account(engine_live.url, engine_live.base_url, credits=10 * SCRIPTED_PRICE)
    with account.client() as http, ThreadPoolExecutor(25) as pool:
        answers = list(pool.map(lambda i: http.post(
            "/api/v1/tasks", json=scripted(f"queue:30 n{i}")).status_code, range(50)))  # fmt: skip
        assert sorted(answers) == [202] * 10 + [402] * 40
        assert _account(http)["available"] == 0.0
        for task in http.get("/api/v1/tasks", params={"limit": 100}).json()["data"]:
            http.post(f"/api/v1/tasks/{task['id']}/cancel")
    figures = check_ledger(engine_live.url, account.id)
    assert figures["balance"] == 10 * SCRIPTED_PRICE and figures["held"] == 0


def test_a_cancel_racing_the_success_settles_once(engine_live):
    """Cancels sent around the moment tasks finish: each ends cancelled (released) or
    succeeded (charged), never both, never twice."""
    account = new_account(engine_live.url, engine_live.base_url, credits=40 * SCRIPTED_PRICE)
    with account.client() as http:
        ids = [_create(http, f"queue:0 run:{0.2 + (i % 5) * 0.05}")["id"] for i in range(20)]
        time.sleep(0.25)
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(lambda t: http.post(f"/api/v1/tasks/{t}/cancel"), ids))
        finals = [wait_for(http, t)["status"] for t in ids]
    assert set(finals) <= {"succeeded", "cancelled"}
    figures = check_ledger(engine_live.url, account.id)
    assert figures["charges"] == finals.count("succeeded") * SCRIPTED_PRICE


def test_a_sandbox_key_costs_nothing_and_holds_nothing(engine_live):
    account = new_account(engine_live.url, engine_live.base_url, credits=1, test=True)
    with account.client() as http:
        # 1 micro available: a live task would be refused. (A test key cannot use the scripted
        # plugin: a plugin has no sandbox.)
        r = http.post("/api/v1/tasks", json={**scripted("a fox"), "model": "local-image"})
        assert r.status_code == 202, r.text
        task = r.json()["data"]
        done = wait_for(http, task["id"])
        assert done["status"] == "succeeded" and done["cost"] == 0
        ledger = http.get("/api/v1/account/ledger").json()
        assert ledger["data"] == [] and ledger["pagination"]["total"] == 0
    assert [t for t, *_ in ledger_of(engine_live.url, account.id)] == ["grant"]


def test_a_postpaid_account_has_no_holds_and_records_usage(engine_live):
    account = new_account(engine_live.url, engine_live.base_url)
    with account.client() as http:
        task = _create(http, "run:0.1")
        assert wait_for(http, task["id"])["cost"] == 0.25
        data = _account(http)
    assert data["billing"] == "postpaid"
    assert (data["balance"], data["held"], data["spent_this_month"]) == (0.0, 0.0, 0.25)
    assert ledger_of(engine_live.url, account.id) == []


def test_a_keys_spend_limit_refuses_what_it_cannot_cover(engine_live):
    account = new_account(
        engine_live.url, engine_live.base_url, spend_limit=2 * SCRIPTED_PRICE
    )  # postpaid: only the key's limit applies
    with account.client() as http:
        done = _create(http, "run:0.1")
        assert wait_for(http, done["id"])["status"] == "succeeded"  # counts its cost, 0.25
        waiting = _create(http, "queue:30")  # reserves its most, 0.25
        r = http.post("/api/v1/tasks", json=scripted("run:0.1"))
        assert r.status_code == 402
        message = r.json()["error"]["message"]
        assert "key's monthly spend limit" in message and "0.5 limit" in message, message
        # A cancel releases the reservation: one more fits, and no more.
        http.post(f"/api/v1/tasks/{waiting['id']}/cancel")
        assert http.post("/api/v1/tasks", json=scripted("queue:30")).status_code == 202
        assert http.post("/api/v1/tasks", json=scripted("run:0.1")).status_code == 402
