"""POST /api/v1/tasks: the task object, validation, idempotency, body limits."""

from __future__ import annotations

import concurrent.futures
import time

import pytest

from helpers import ISO_Z, TASK_ID, error_of, image_body

TASK_FIELDS = {
    "id", "type", "status", "provider", "model", "progress", "queue_position", "eta_seconds",
    "cost", "created_at", "started_at", "completed_at", "metadata", "sandbox", "input",
}  # fmt: skip


def test_create_returns_202_with_a_pending_task_carrying_every_field(caller):
    before = time.time()
    r = caller.http.post("/api/v1/tasks", json=image_body(metadata={"project": "demo", "n": 3}))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["success"] is True
    task = body["data"]
    assert set(task) == TASK_FIELDS  # no result or error on a pending task
    assert TASK_ID.fullmatch(task["id"])
    assert task["type"] == "image"
    assert task["status"] == "pending"
    assert task["provider"] == "local"
    assert task["model"] == "local-image"
    assert task["progress"] == 0
    assert task["queue_position"] == -1 or task["queue_position"] >= 0
    assert task["eta_seconds"] == -1 or task["eta_seconds"] >= 0
    assert task["cost"] == 0
    assert ISO_Z.fullmatch(task["created_at"])
    created = time.mktime(time.strptime(task["created_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before - 2 <= created <= time.time() + 2
    assert task["started_at"] is None and task["completed_at"] is None
    assert task["metadata"] == {"project": "demo", "n": 3}
    assert task["sandbox"] is False
    assert task["input"]["prompt"] == "a red fox"  # as validated, defaults filled
    assert task["input"]["width"] > 0
    listed = caller.http.get("/api/v1/tasks", params={"search": task["id"]}).json()["data"][0]
    assert "input" not in listed and listed["sandbox"] is False
    # the same object comes back on a read
    got = caller.http.get(f"/api/v1/tasks/{task['id']}").json()["data"]
    assert got == task


def test_task_ids_are_unique_and_unguessable(caller):
    ids = {
        caller.http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"] for _ in range(20)
    }
    assert len(ids) == 20
    assert all(len(i) >= len("task_") + 20 for i in ids)


def test_metadata_is_returned_unchanged(caller):
    metadata = {"s": "ünïcode ✓", "i": 7, "f": 1.5, "t": True, "f2": False, "z": None, "e": ""}
    r = caller.http.post("/api/v1/tasks", json=image_body(metadata=metadata))
    task_id = r.json()["data"]["id"]
    assert caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"]["metadata"] == metadata


def test_metadata_defaults_to_an_empty_object(caller):
    r = caller.http.post("/api/v1/tasks", json=image_body())
    assert r.json()["data"]["metadata"] == {}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"type": "sculpture"}, "type"),
        ({"type": "video"}, "type"),  # local-image makes images
        ({"model": ""}, "model"),
        ({"input": "a fox"}, "input"),
        ({"input": {}}, "input.prompt"),
        ({"input": {"prompt": ""}}, "input.prompt"),
        ({"input": {"prompt": "x", "width": 0}}, "input.width"),
        ({"input": {"prompt": "x", "width": "wide"}}, "input.width"),
        ({"input": {"prompt": "x", "format": "gif"}}, "input.format"),
        ({"input": {"prompt": "x", "colour": "red"}}, "input.colour"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata"),
        ({"metadata": {"list": [1, 2]}}, "metadata"),
        ({"metadata": "flat"}, "metadata"),
        ({"metadata": {"big": "x" * 17000}}, "metadata"),
        ({"callback_url": "ftp://example.com/hook"}, "callback_url"),
        ({"callback_url": "not a url"}, "callback_url"),
        ({"callback_url": "http://127.0.0.1:9/hook"}, "callback_url"),
        ({"callback_url": "http://169.254.169.254/latest"}, "callback_url"),
        ({"callback_url": "http://[::1]/hook"}, "callback_url"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": "soon"}, "timeout_s"),
        ({"timeout_s": 10**9}, "timeout_s"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_fields_are_a_400_naming_the_parameter(caller, change, param):
    r = caller.http.post("/api/v1/tasks", json={**image_body(), **change})
    assert r.status_code == 400, r.text
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith(f"{param}:"), error


@pytest.mark.parametrize("missing", ["type", "model", "input"])
def test_missing_required_fields_are_named(caller, missing):
    body = image_body()
    del body[missing]
    error = error_of(caller.http.post("/api/v1/tasks", json=body))
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith(f"{missing}:")


def test_unknown_model_is_model_not_found(caller):
    r = caller.http.post("/api/v1/tasks", json={**image_body(), "model": "dall-e-9"})
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "MODEL_NOT_FOUND"
    assert "dall-e-9" in error["message"]


@pytest.mark.parametrize(
    ("content", "expect"),
    [(b"{not json", "body:"), (b"[1, 2]", "body:"), (b"", "body:"), (b'"text"', "body:")],
)
def test_malformed_bodies_are_a_400(caller, content, expect):
    r = caller.http.post(
        "/api/v1/tasks", content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith(expect)


def test_oversized_body_is_a_413(caller):
    body = image_body(prompt="x" * (2 * 1024 * 1024))
    r = caller.http.post("/api/v1/tasks", json=body)
    assert r.status_code == 413
    assert error_of(r)["code"] == "PAYLOAD_TOO_LARGE"


def test_oversized_chunked_body_is_a_413(caller):
    def chunks():
        yield b'{"type": "image", "model": "local-image", "input": {"prompt": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}}'

    r = caller.http.post(
        "/api/v1/tasks", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert error_of(r)["code"] == "PAYLOAD_TOO_LARGE"


def test_every_local_model_accepts_a_prompt_alone(caller):
    models = caller.http.get("/api/v1/models").json()["data"]
    local = {m["id"]: m["type"] for m in models if m["provider"] == "local"}
    assert local == {
        "local-image": "image",
        "local-video": "video",
        "local-audio": "audio",
        "local-music": "music",
        "local-3d": "model3d",
    }
    for model, task_type in local.items():
        r = caller.http.post(
            "/api/v1/tasks", json={"type": task_type, "model": model, "input": {"prompt": "hi"}}
        )
        assert r.status_code == 202, r.text
        assert r.json()["data"]["type"] == task_type


# --- idempotency -------------------------------------------------------------------------


def test_same_idempotency_key_and_body_gives_the_same_task(caller):
    headers = {"Idempotency-Key": "order-1"}
    first = caller.http.post("/api/v1/tasks", json=image_body(), headers=headers)
    second = caller.http.post("/api/v1/tasks", json=image_body(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    listed = caller.http.get("/api/v1/tasks").json()
    assert listed["pagination"]["total"] == 1


def test_same_idempotency_key_with_another_body_is_a_409(caller):
    headers = {"Idempotency-Key": "order-2"}
    caller.http.post("/api/v1/tasks", json=image_body("one"), headers=headers)
    r = caller.http.post("/api/v1/tasks", json=image_body("two"), headers=headers)
    assert r.status_code == 409
    assert error_of(r)["code"] == "IDEMPOTENCY_CONFLICT"


def test_idempotency_keys_are_scoped_to_the_account(caller, other):
    headers = {"Idempotency-Key": "shared-key"}
    a = caller.http.post("/api/v1/tasks", json=image_body("one"), headers=headers)
    b = other.http.post("/api/v1/tasks", json=image_body("two"), headers=headers)
    assert a.status_code == b.status_code == 202
    assert a.json()["data"]["id"] != b.json()["data"]["id"]


def test_concurrent_requests_with_one_idempotency_key_make_one_task(caller):
    headers = {"Idempotency-Key": "race"}

    def post(_):
        with caller.live.client(caller.key.secret) as http:
            return http.post("/api/v1/tasks", json=image_body(), headers=headers)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert all(r.status_code == 202 for r in responses), [r.text for r in responses]
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert caller.http.get("/api/v1/tasks").json()["pagination"]["total"] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey", "ключ"])
def test_bad_idempotency_keys_are_named(caller, key):
    r = caller.http.post(
        "/api/v1/tasks", json=image_body(), headers={"Idempotency-Key": key.encode()}
    )
    assert r.status_code == 400
    assert error_of(r)["message"].startswith("Idempotency-Key:")


def test_pending_tasks_report_their_place_in_the_gateways_queue(caller):
    """Positions follow the fair order of the provider's queue (other accounts' tasks wait
    there too; exact figures: test_engine_fairness.py): an account's later tasks are further
    back, and a cancel moves the ones behind it up by its turn."""
    ids = [caller.http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"] for _ in "abc"]

    def position(task_id: str) -> int:
        return caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"]["queue_position"]

    first, second, third = (position(i) for i in ids)
    assert 0 <= first < second < third
    listed = caller.http.get("/api/v1/tasks", params={"limit": 3}).json()["data"]
    assert [t["queue_position"] for t in listed] == [third, second, first]
    caller.http.post(f"/api/v1/tasks/{ids[0]}/cancel")
    assert position(ids[0]) == -1
    assert (position(ids[1]), position(ids[2])) == (first, second)
