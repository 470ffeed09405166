"""Errors FastAPI would answer by itself, the models catalog, health, OpenAPI."""

from __future__ import annotations

import pytest

from helpers import error_of


@pytest.mark.parametrize("path", ["/nope", "/api/v1", "/api/v1/taskz", "/api/v1/tasks/a/b/c"])
def test_unknown_routes_are_404_in_the_envelope(caller, path):
    r = caller.http.get(path)
    assert r.status_code == 404
    assert error_of(r)["code"] in ("NOT_FOUND", "TASK_NOT_FOUND")


def test_wrong_method_is_405_in_the_envelope(caller):
    r = caller.http.delete("/api/v1/tasks")
    assert r.status_code == 405
    assert error_of(r)["code"] == "METHOD_NOT_ALLOWED"


def test_models_list_every_entry_with_schema_and_price(caller):
    body = caller.http.get("/api/v1/models").json()
    assert body["success"] is True
    assert body["pagination"]["total"] == len(body["data"]) >= 5
    for model in body["data"]:
        assert {"id", "type", "provider", "input_schema", "price"} <= set(model)
        assert model["input_schema"]["type"] == "object"
        assert "prompt" in model["input_schema"]["properties"]
        assert model["input_schema"]["required"] == ["prompt"]
        assert model["price"]["amount"] >= 0
        assert model["price"]["unit"] in ("task", "image", "second")


def test_models_filter_by_type(caller):
    body = caller.http.get("/api/v1/models", params={"type": "video"}).json()
    assert body["data"] and all(m["type"] == "video" for m in body["data"])
    r = caller.http.get("/api/v1/models", params={"type": "hologram"})
    assert r.status_code == 400 and error_of(r)["message"].startswith("type:")


def test_healthz(live):
    with live.client() as http:
        body = http.get("/healthz").json()
    assert body == {
        "success": True,
        "data": {"status": "ok", "version": body["data"]["version"], "database": live.backend},
    }


def test_openapi_document_lists_the_contract_endpoints(live):
    with live.client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/cancel",
            "/api/v1/models", "/healthz"} <= set(paths)  # fmt: skip
    assert "requestBody" in paths["/api/v1/tasks"]["post"]


def test_a_405_names_every_method_of_the_path_in_allow(live):
    """`/v1/videos` takes GET and POST on two routes; a 405 there names both (Starlette's own
    answer names only the first route's)."""
    with live.client() as http:
        answers = {
            path: http.request(method, path)
            for method, path in [
                ("PUT", "/v1/videos"),
                ("PUT", "/api/v1/tasks"),
                ("PUT", "/api/v1/tasks/task_V1StGXR8Z5jdHi6BmyT2"),
                ("POST", "/healthz"),
            ]
        }
    allowed = {path: set(a.headers["allow"].split(", ")) for path, a in answers.items()}
    assert all(a.status_code == 405 for a in answers.values())
    assert allowed["/v1/videos"] == {"GET", "POST"}
    assert allowed["/api/v1/tasks"] == {"GET", "POST"}
    assert allowed["/api/v1/tasks/task_V1StGXR8Z5jdHi6BmyT2"] == {"GET"}
    assert allowed["/healthz"] == {"GET"}
