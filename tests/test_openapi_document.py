"""`/openapi.json` is complete and true, and the docs pages work without the internet.
(`tests/test_openapi_fuzz.py` checks the server's answers against the document.)"""

from __future__ import annotations

import re

import jsonschema
import pytest

from mediagate.catalog import CATALOG

METHODS = ("get", "post", "patch", "delete", "put")


@pytest.fixture(scope="module")
def document(live) -> dict:
    with live.client() as http:
        return http.get("/openapi.json").json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_every_route_of_the_contract_is_documented(document: dict) -> None:
    paths = set(document["paths"])
    assert {
        "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/cancel",
        "/api/v1/tasks/{task_id}/events", "/api/v1/tasks/{task_id}/stream", "/api/v1/events",
        "/api/v1/events/stream", "/api/v1/webhooks", "/api/v1/account", "/api/v1/account/ledger",
        "/api/v1/usage", "/api/v1/models", "/files/{key}", "/healthz", "/metrics", "/v1/videos",
        "/v1/videos/{video_id}", "/v1/videos/{video_id}/content", "/v1/images/generations",
    } <= paths  # fmt: skip


def test_no_operation_declares_a_status_the_api_never_sends(document: dict) -> None:
    for path, method, op in operations(document):
        assert "422" not in op["responses"], (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_answer_has_a_schema_and_every_error_its_codes(document: dict) -> None:
    for path, method, op in operations(document):
        for status, answer in op["responses"].items():
            if status in ("206", "302"):
                continue
            content = answer.get("content")
            assert content, (method, path, status)
            schema = next(iter(content.values())).get("schema")
            assert schema, (method, path, status)
            if int(status) >= 400 and not path.startswith("/v1/"):
                codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                assert all(re.fullmatch(r"[A-Z_]+", code) for code in codes), codes
        for status in ("429", "503"):
            if status in op["responses"]:
                retry = op["responses"][status]["headers"]["Retry-After"]
                assert retry["required"] is True, (method, path, status)
        assert "503" in op["responses"], (method, path)


def test_bearer_is_required_except_on_public_routes(document: dict) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    public = {(p, m) for p, m, op in operations(document) if op.get("security") == []}
    assert public == {("/healthz", "get"), ("/readyz", "get"), ("/files/{key}", "get")}
    # The metrics token is asked for only when MEDIAGATE_METRICS_TOKEN is set.
    assert document["paths"]["/metrics"]["get"]["security"] == [{}, {"bearer": []}]


def test_query_parameters_are_declared_with_their_limits(document: dict) -> None:
    listing = {p["name"]: p for p in document["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert set(listing) == {
        "status", "provider", "modelId", "startDate", "endDate", "search", "limit", "cursor"
    }  # fmt: skip
    assert listing["limit"]["schema"]["maximum"] == 100
    assert "cancelled" in listing["status"]["schema"]["enum"]
    usage = {p["name"] for p in document["paths"]["/api/v1/usage"]["get"]["parameters"]}
    assert usage == {"startDate", "endDate", "groupBy"}


def test_the_create_body_has_one_variant_per_model_that_the_api_accepts(
    document: dict, caller
) -> None:
    """Each variant that needs only a prompt, given one, validates against the document and
    is accepted by the server (a sandbox key runs every model)."""
    body = document["paths"]["/api/v1/tasks"]["post"]["requestBody"]["content"]
    variants = body["application/json"]["schema"]["oneOf"]
    assert sorted(v["properties"]["model"]["const"] for v in variants) == sorted(
        spec.id for spec in CATALOG
    )
    test_key = caller.live.new_key(test=True, account=f"doc-{caller.key.account_id}")
    with caller.live.client(test_key.secret) as http:
        runnable = {m["id"] for m in http.get("/api/v1/models").json()["data"] if m["available"]}
        simple = [
            v
            for v in variants
            if v["properties"]["input"].get("required") == ["prompt"]
            and v["properties"]["model"]["const"] in runnable
        ]
        assert len(simple) >= 10
        for variant in simple:
            model = variant["properties"]["model"]["const"]
            request = {
                "type": variant["properties"]["type"]["const"],
                "model": model,
                "input": {"prompt": "a fox in the snow"},
            }
            jsonschema.validate(request, variant)
            answer = http.post("/api/v1/tasks", json=request)
            assert answer.status_code == 202, answer.text


def test_a_created_task_links_to_what_can_be_done_with_it(document: dict) -> None:
    links = document["paths"]["/api/v1/tasks"]["post"]["responses"]["202"]["links"]
    ids = {op["operationId"] for _, _, op in operations(document)}
    assert {link["operationId"] for link in links.values()} <= ids
    assert {"get_task", "cancel_task"} <= {link["operationId"] for link in links.values()}


def test_the_docs_pages_load_nothing_from_another_host(live) -> None:
    with live.client() as http:
        for page in ("/docs", "/redoc"):
            html = http.get(page)
            assert html.status_code == 200
            assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
            assert assets, html.text
            for asset in assets:
                assert not re.match(r"(https?:)?//", asset), asset
                assert http.get(asset).status_code == 200, asset
            scripts = re.findall(r"""url: *['"]([^'"]+)['"]""", html.text)
            assert all(not re.match(r"(https?:)?//", s) for s in scripts), scripts
