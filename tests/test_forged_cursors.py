"""Forged list positions and absurd ids: every value decoded from a cursor is range-checked
before it reaches a query, so a forged one is a 400 naming the parameter (never a database
error answered 500), and an id in a path that cannot exist is a plain 404 (or 400)."""

from __future__ import annotations

import base64

import pytest

from helpers import error_of, image_body

BEYOND = "9" * 20  # past 2^63-1: SQLite's OverflowError, asyncpg's DataError
INT64_END = str(2**63)


def _pack(text: str) -> str:
    """A cursor made the way the API makes them, around a forged text."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORGED = {
    "/api/v1/tasks": [
        f"{BEYOND}.task_aaaaaaaaaaaaaaaaaaaa",
        f"{INT64_END}.task_aaaaaaaaaaaaaaaaaaaa",
        "-1.task_aaaaaaaaaaaaaaaaaaaa",
        "1e9.task_aaaaaaaaaaaaaaaaaaaa",
        "\u0663.task_aaaaaaaaaaaaaaaaaaaa",  # an Arabic-Indic digit
        "12.task_\u00e9",
        "12",
    ],
    "/api/v1/account/ledger": [f"l.{BEYOND[:19]}", f"l.{INT64_END}", "l.-1", "d.1", "l."],
    "/api/v1/webhooks/default/deliveries": [
        f"d.{BEYOND[:19]}",  # 19 digits, still past 2^63-1
        f"d.{INT64_END}",
        "d.-5",
        "l.1",
        "d.1.2",
    ],
}
JUNK = ["!!!", "x" * 201, "\x00", "\u00e9t\u00e9", "=", "a"]


@pytest.mark.parametrize("path", list(FORGED))
def test_forged_cursors_are_a_400_naming_cursor(caller, path):
    for cursor in [_pack(text) for text in FORGED[path]] + JUNK:
        r = caller.http.get(path, params={"cursor": cursor})
        assert r.status_code == 400, (cursor, r.text)
        error = error_of(r)
        assert error["code"] == "INVALID_PARAMETER" and error["message"].startswith("cursor")
    # and the connection and the listing still work
    assert caller.http.get(path).status_code == 200


def test_forged_event_positions_name_their_parameter(caller):
    beyond = "evt_" + "f" * 32
    for after in (beyond, "evt_" + "0" * 31, "evt_" + "g" * 32, "x" * 500):
        r = caller.http.get("/api/v1/events", params={"after": after})
        assert r.status_code == 400, r.text
        assert error_of(r)["message"].startswith("after")
        r = caller.http.get("/api/v1/events/stream", headers={"Last-Event-ID": after})
        assert r.status_code == 400, r.text
        assert error_of(r)["message"].startswith("Last-Event-ID")


def test_openai_after_is_checked_in_openai_shape(caller):
    for after in ("task_" + "z" * 300, "vid\u00e9o", "\x00", "task_aaaaaaaaaaaaaaaaaaaa"):
        r = caller.http.get("/v1/videos", params={"after": after})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "after"


ABSURD_IDS = [
    "task_" + "z" * 5000,
    "wh_" + "z" * 5000,
    "t\u00e2che_\u00e9\u00e8",
    "task_%00abc",  # a NUL, as a client sends it
    "%00",
    "task_%2e%2e",
    "dlv_" + "f" * 16,
    "dlv_" + "f" * 5000,
]
ROUTES = [
    ("GET", "/api/v1/tasks/{}"),
    ("POST", "/api/v1/tasks/{}/cancel"),
    ("GET", "/api/v1/tasks/{}/events"),
    ("GET", "/api/v1/tasks/{}/stream"),
    ("GET", "/api/v1/webhooks/{}"),
    ("PATCH", "/api/v1/webhooks/{}"),
    ("DELETE", "/api/v1/webhooks/{}"),
    ("POST", "/api/v1/webhooks/{}/rotate-secret"),
    ("POST", "/api/v1/webhooks/{}/test"),
    ("GET", "/api/v1/webhooks/{}/deliveries"),
    ("POST", "/api/v1/webhooks/default/deliveries/{}/redeliver"),
    ("GET", "/v1/videos/{}"),
    ("DELETE", "/v1/videos/{}"),
    ("GET", "/v1/videos/{}/content"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_absurd_ids_in_paths_are_a_plain_404(caller, method, route):
    caller.http.post("/api/v1/tasks", json=image_body())  # the account has something to find
    for absurd in ABSURD_IDS:
        r = caller.http.request(method, route.format(absurd), json={"description": "x"})
        assert r.status_code in (400, 404), (absurd[:40], r.status_code, r.text[:300])
