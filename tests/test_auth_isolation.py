"""Authentication, revoked keys, and isolation between accounts."""

from __future__ import annotations

import pytest

from helpers import error_of, image_body

ENDPOINTS = [
    ("GET", "/api/v1/tasks/task_doesnotexistdoesnotexist"),
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks/task_doesnotexistdoesnotexist/cancel"),
    ("GET", "/api/v1/models"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer mg_live_a mg_live_b",
        "Basic dXNlcjpwYXNz",
        "Bearer mg_live_notarealkeynotarealkeynotarealkey",
        "Bearer mg_test_notarealkeynotarealkeynotarealkey",
        "Bearer " + "x" * 5000,
        "mg_live_nobearerword",
    ],
)
def test_missing_malformed_or_unknown_keys_are_401(live, method, path, header):
    headers = {"Authorization": header} if header is not None else {}
    with live.client() as http:
        r = http.request(method, path, headers=headers, json=image_body())
    assert r.status_code == 401, r.text
    assert error_of(r)["code"] == "UNAUTHORIZED"


def test_bearer_scheme_is_case_insensitive(caller):
    r = caller.http.get("/api/v1/tasks", headers={"Authorization": f"bearer {caller.key.secret}"})
    assert r.status_code == 200


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_revoked_key_stops_working_at_once(live, method, path):
    from mediagate.accounts import service as accounts

    key = live.new_key()
    with live.client(key.secret) as http:
        assert http.get("/api/v1/tasks").status_code == 200
        task_id = http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
        assert http.get(f"/api/v1/tasks/{task_id}").status_code == 200
        live.run(accounts.revoke_key(live.db, key.prefix))
        r = http.request(
            method, path.replace("task_doesnotexistdoesnotexist", task_id), json=image_body()
        )
        assert r.status_code == 401
        assert error_of(r)["code"] == "UNAUTHORIZED"


def test_every_key_of_an_account_sees_its_tasks(live):
    first = live.new_key(account="shared-account-" + live.backend)
    second = live.new_key(account="shared-account-" + live.backend)
    assert first.account_id == second.account_id
    with live.client(first.secret) as a, live.client(second.secret) as b:
        task_id = a.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
        assert b.get(f"/api/v1/tasks/{task_id}").json()["data"]["id"] == task_id
        assert task_id in [t["id"] for t in b.get("/api/v1/tasks").json()["data"]]


def test_another_accounts_task_answers_like_one_that_never_existed(caller, other):
    task_id = caller.http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
    never = "task_" + "A" * 24
    for path in ("/api/v1/tasks/{}", "/api/v1/tasks/{}/cancel"):
        method = "POST" if path.endswith("cancel") else "GET"
        foreign = other.http.request(method, path.format(task_id))
        missing = other.http.request(method, path.format(never))
        assert foreign.status_code == missing.status_code == 404
        assert foreign.content == missing.content
        assert error_of(foreign) == {"code": "TASK_NOT_FOUND", "message": "Task not found"}
    listed = other.http.get("/api/v1/tasks", params={"search": task_id}).json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0
    # and the owner still sees it, uncancelled
    assert caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] == "pending"


@pytest.mark.parametrize(
    "task_id", ["nope", "task_", "task_" + "z" * 300, "%00", "task_abc%20def", "' OR 1=1 --"]
)
def test_odd_task_ids_are_a_plain_404(caller, task_id):
    r = caller.http.get(f"/api/v1/tasks/{task_id}")
    assert r.status_code == 404
    assert error_of(r)["code"] == "TASK_NOT_FOUND"


def test_test_keys_mark_tasks_as_sandbox_and_cost_nothing(live):
    key = live.new_key(test=True)
    assert key.secret.startswith("mg_test_")
    with live.client(key.secret) as http:
        task = http.post("/api/v1/tasks", json=image_body()).json()["data"]
    assert task["cost"] == 0
