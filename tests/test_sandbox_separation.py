"""Sandbox and live data are separate, as test and live modes are in payment APIs: a `mg_test_`
key of an account sees, lists, counts, cancels, replays and streams only its sandbox tasks, a
`mg_live_` key only the live ones; the other mode's task answers like one that never existed."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from helpers import error_of, image_body

NEVER = "task_" + "N" * 24


@dataclass
class Modes:
    """One account with a live and a test key, and a client for each."""

    live: httpx.Client
    test: httpx.Client

    def both(self) -> list[tuple[httpx.Client, httpx.Client]]:
        """(owner, the other mode) pairs, each way round."""
        return [(self.live, self.test), (self.test, self.live)]


@pytest.fixture
def modes(live) -> Iterator[Modes]:
    account = f"modes-{secrets.token_hex(6)}"
    live_key, test_key = live.new_key(account=account), live.new_key(account=account, test=True)
    assert live_key.account_id == test_key.account_id
    with live.client(live_key.secret) as a, live.client(test_key.secret) as b:
        yield Modes(a, b)


def _create(http: httpx.Client, **extra: object) -> dict:
    r = http.post("/api/v1/tasks", json=image_body(), **extra)  # type: ignore[arg-type]
    assert r.status_code == 202, r.text
    return r.json()["data"]


def test_the_other_modes_task_answers_like_one_that_never_existed(modes: Modes) -> None:
    for owner, other in modes.both():
        task = _create(owner)
        for method, path in (
            ("GET", "/api/v1/tasks/{}"),  # the fast path
            ("POST", "/api/v1/tasks/{}/cancel"),
            ("GET", "/api/v1/tasks/{}/events"),
            ("GET", "/api/v1/tasks/{}/stream"),
        ):
            foreign = other.request(method, path.format(task["id"]))
            missing = other.request(method, path.format(NEVER))
            assert foreign.status_code == missing.status_code == 404, (path, foreign.text)
            assert foreign.content == missing.content
            assert error_of(foreign) == {"code": "TASK_NOT_FOUND", "message": "Task not found"}
        # The owner still sees it, not cancelled by the other mode's key.
        mine = owner.get(f"/api/v1/tasks/{task['id']}").json()["data"]
        assert mine["status"] == "pending" and mine["sandbox"] is (owner is modes.test)


def test_listings_and_totals_hold_one_mode(modes: Modes) -> None:
    made = {id(modes.live): {_create(modes.live)["id"] for _ in range(3)}}
    made[id(modes.test)] = {_create(modes.test)["id"] for _ in range(2)}
    for http in (modes.live, modes.test):
        mine = made[id(http)]
        for params in (
            {},  # total from the per-day counts
            {"status": "pending"},
            {"modelId": "local-image", "provider": "local"},
            # the counts of whole days, and the rows of the partial first and last days
            {"startDate": "2000-01-01T12:00:00Z", "endDate": "2100-01-01T12:00:00Z"},
            {"search": "task_"},  # counted row by row
        ):
            page = http.get("/api/v1/tasks", params={**params, "limit": 100}).json()
            assert {t["id"] for t in page["data"]} == mine, params
            assert page["pagination"]["total"] == len(mine), params
        # One item per page: the cursor walks this mode's tasks only.
        seen, cursor = [], None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = http.get("/api/v1/tasks", params=params).json()
            seen += [t["id"] for t in page["data"]]
            if not page["pagination"]["hasMore"]:
                break
            cursor = page["pagination"]["cursor"]
        assert sorted(seen) == sorted(mine)


def test_an_idempotency_key_is_two_keys_one_per_mode(modes: Modes) -> None:
    key = {"Idempotency-Key": f"same-{secrets.token_hex(4)}"}
    first = {id(http): _create(http, headers=key) for http in (modes.live, modes.test)}
    assert first[id(modes.live)]["id"] != first[id(modes.test)]["id"]
    assert first[id(modes.live)]["sandbox"] is False and first[id(modes.test)]["sandbox"] is True
    for http in (modes.test, modes.live):
        again = http.post("/api/v1/tasks", json=image_body(), headers=key)
        assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["data"]["id"] == first[id(http)]["id"]
    # A different body conflicts within one mode only.
    conflict = modes.test.post("/api/v1/tasks", json=image_body("another"), headers=key)
    assert conflict.status_code == 409 and error_of(conflict)["code"] == "IDEMPOTENCY_CONFLICT"


def _account_events(http: httpx.Client, task_id: str) -> dict:
    """The account's events page once it shows `task_id`'s creation. On PostgreSQL an event is
    listed once every older transaction of the server ended (the log's watermark), which a
    busy shared server may delay a little."""
    deadline = time.monotonic() + 60
    while True:
        page = http.get("/api/v1/events", params={"limit": 100}).json()
        if task_id in {e["data"]["id"] for e in page["data"]} or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_events_usage_and_webhook_logs_hold_one_mode(modes: Modes) -> None:
    made = {id(http): _create(http)["id"] for http in (modes.live, modes.test)}
    for http in (modes.live, modes.test):
        _account_events(http, made[id(http)])
    for http in (modes.live, modes.test):
        events = _account_events(http, made[id(http)])
        assert {e["data"]["id"] for e in events["data"]} == {made[id(http)]}
        assert events["pagination"]["total"] == 1
        usage = http.get("/api/v1/usage", params={"groupBy": "model"}).json()["data"]
        assert [(row["group"], row["tasks"]) for row in usage] == [("local-image", 1)]
        deliveries = http.get("/api/v1/webhooks/default/deliveries").json()
        assert deliveries["data"] == [] and deliveries["pagination"]["total"] == 0


def test_the_openai_face_holds_one_mode(modes: Modes) -> None:
    body = {"model": "local-video", "prompt": "a fox", "seconds": "1"}
    made = {}
    for http in (modes.live, modes.test):
        r = http.post("/v1/videos", json=body)
        assert r.status_code == 200, r.text
        made[id(http)] = r.json()["id"]
    for owner, other in modes.both():
        video = made[id(owner)]
        assert [v["id"] for v in other.get("/v1/videos").json()["data"]] == [made[id(other)]]
        for method in ("GET", "DELETE"):
            r = other.request(method, f"/v1/videos/{video}")
            assert r.status_code == 404, r.text
        r = other.get("/v1/videos", params={"after": video})
        assert r.status_code == 400 and r.json()["error"]["param"] == "after"
        assert owner.get(f"/v1/videos/{video}").json()["status"] == "queued"
