"""Usage and the ledger through the API: usage equals a scan of the tasks (before and after the
counts are compacted), mode separation, ledger pages, and clear 400s."""

from __future__ import annotations

import collections

import pytest
from billing_support import SCRIPTED_PRICE, new_account, on_db, scripted
from sqlalchemy import text

from helpers import wait_for
from mediagate.db import dialect

pytestmark = pytest.mark.slow


def _scan(url, account_id, group_by):
    """Usage computed the slow way: every task row of the account (live mode)."""

    async def read(db):
        async with db.read() as conn:
            return (
                await conn.execute(
                    text(
                        "SELECT created_at, model, provider, key_id, status, cost_micros "
                        "FROM tasks WHERE account_id = :a AND sandbox = 0"
                    ),
                    {"a": account_id},
                )
            ).all()

    out: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    import time

    for created, model, provider, key_id, status, cost in on_db(url, read):
        group = {
            "day": time.strftime("%Y-%m-%d", time.gmtime(created // 1_000_000)),
            "model": model,
            "provider": provider,
            "key": key_id,
        }[group_by]
        row = out[group]
        row[0] += 1
        for i, name in enumerate(("succeeded", "failed", "cancelled"), 1):
            row[i] += status == name
        row[4] += cost
    return {
        g: {"tasks": r[0], "succeeded": r[1], "failed": r[2], "cancelled": r[3],
            "cost": r[4] / 1e6}
        for g, r in out.items()
    }  # fmt: skip


def _usage(http, **params):
    r = http.get("/api/v1/usage", params=params)
    assert r.status_code == 200, r.text
    return {row.pop("group"): row for row in r.json()["data"]}


def test_usage_equals_a_scan_of_the_tasks(engine_live):
    account = new_account(engine_live.url, engine_live.base_url, credits=20 * SCRIPTED_PRICE)
    with account.client() as http:
        ids = [http.post("/api/v1/tasks", json=scripted(p)).json()["data"]["id"]
               for p in ("run:0.1", "run:0.1", "badinput", "queue:30", "run:0.1")]  # fmt: skip
        http.post(f"/api/v1/tasks/{ids[3]}/cancel")
        for task_id in ids:
            wait_for(http, task_id)
        for by in ("day", "model", "provider", "key"):
            assert _usage(http, groupBy=by) == _scan(engine_live.url, account.id, by), by

        async def compact(db):
            async with db.write() as conn:
                await dialect.compact_task_counts(conn)

        on_db(engine_live.url, compact)
        assert _usage(http, groupBy="model") == _scan(engine_live.url, account.id, "model")
        [row] = _usage(http, groupBy="model").values()
        assert (row["tasks"], row["succeeded"], row["failed"], row["cancelled"]) == (5, 3, 1, 1)
        assert row["cost"] == 0.75
        # Days outside the range count nothing.
        assert _usage(http, startDate="2020-01-01", endDate="2020-01-31") == {}


def test_usage_is_separate_per_mode(engine_live):
    live = new_account(engine_live.url, engine_live.base_url)
    with live.client() as http:
        wait_for(http, http.post("/api/v1/tasks", json=scripted("run:0.1")).json()["data"]["id"])
    sandbox = new_account(engine_live.url, engine_live.base_url, test=True)
    with sandbox.client() as http:  # a plugin has no sandbox: the local provider's model
        body = {**scripted("a fox"), "model": "local-image"}
        wait_for(http, http.post("/api/v1/tasks", json=body).json()["data"]["id"])
        [row] = _usage(http, groupBy="provider").values()
        assert row["tasks"] == 1 and row["cost"] == 0


def test_ledger_pages_newest_first_without_gaps(engine_live):
    account = new_account(engine_live.url, engine_live.base_url, credits=SCRIPTED_PRICE)
    with account.client() as http:
        for _ in range(6):  # each: a hold, then a release
            task = http.post("/api/v1/tasks", json=scripted("badinput")).json()["data"]
            wait_for(http, task["id"])
        seen, cursor = [], None
        while True:
            params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
            body = http.get("/api/v1/account/ledger", params=params).json()
            seen += body["data"]
            assert body["pagination"]["total"] == 13
            cursor = body["pagination"]["cursor"]
            if not body["pagination"]["hasMore"]:
                assert cursor is None
                break
    assert len(seen) == 13 and len({e["id"] for e in seen}) == 13
    assert [e["id"] for e in seen] == sorted((e["id"] for e in seen), reverse=True)
    assert seen[-1] == {
        "id": seen[-1]["id"], "type": "grant", "amount": 0.25, "balance_after": 0.25,
        "note": "test credits", "created_at": seen[-1]["created_at"],
    }  # fmt: skip
    assert {e["type"] for e in seen[:-1]} == {"hold", "release"}
    assert all(e["balance_after"] == 0.25 and e["task_id"].startswith("task_") for e in seen[:-1])


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/v1/usage", {"groupBy": "week"}, "groupBy"),
        ("/api/v1/usage", {"startDate": "yesterday"}, "startDate"),
        ("/api/v1/usage", {"startDate": "2026-02-01", "endDate": "2026-01-01"}, "startDate"),
        ("/api/v1/usage", {"startDate": "1990-01-01", "endDate": "2026-01-01"}, "startDate"),
        ("/api/v1/account/ledger", {"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ("/api/v1/account/ledger", {"cursor": "bC45OTk5OTk5OTk5OTk5OTk5OTk5OTk"}, "cursor"),
        ("/api/v1/account/ledger", {"limit": "0"}, "limit"),
    ],
)
def test_bad_parameters_are_400s_that_name_them(caller, path, params, name):
    r = caller.http.get(path, params=params)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "INVALID_PARAMETER" and error["message"].startswith(name), error


def test_the_account_routes_need_a_key(live):
    with live.client() as anonymous:
        for path in ("/api/v1/account", "/api/v1/account/ledger", "/api/v1/usage"):
            assert anonymous.get(path).status_code == 401
