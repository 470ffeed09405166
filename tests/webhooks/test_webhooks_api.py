"""The webhook routes on a server without workers and with the default egress rule (private
addresses refused): endpoints, validation, secrets, the log, isolation between accounts and
modes, and the OpenAPI document."""

from __future__ import annotations

import base64
import secrets

import pytest

from helpers import ISO_Z, error_of

PUBLIC = "https://93.184.215.14/hooks/mediagate"  # an address literal: no DNS lookup
ENDPOINT_FIELDS = {"id", "url", "events", "description", "disabled", "secret", "created_at"}
DELIVERY_FIELDS = {
    "id", "event_id", "event_type", "status", "attempts", "response_status", "error",
    "duration_ms", "created_at", "next_attempt_at",
}  # fmt: skip
DEFAULT_EVENTS = [
    "task.queued", "task.running", "task.succeeded", "task.failed", "task.cancelled",
    "task.expired",
]  # fmt: skip


def _create(http, **body):
    r = http.post("/api/v1/webhooks", json={"url": PUBLIC, **body})
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture
def pair(live):
    """A live and a sandbox key of one account."""
    name = f"acct-{secrets.token_hex(6)}"
    keys = live.new_key(account=name), live.new_key(account=name, test=True)
    with live.client(keys[0].secret) as live_http, live.client(keys[1].secret) as test_http:
        yield live_http, test_http


def test_create_answers_the_endpoint_with_its_secret(caller):
    r = caller.http.post("/api/v1/webhooks", json={"url": PUBLIC, "description": "prod"})
    assert r.status_code == 201
    body = r.json()
    assert body["success"] is True
    endpoint = body["data"]
    assert set(endpoint) == ENDPOINT_FIELDS
    assert endpoint["id"].startswith("wh_")
    assert endpoint["url"] == PUBLIC
    assert endpoint["events"] == DEFAULT_EVENTS
    assert endpoint["description"] == "prod"
    assert endpoint["disabled"] is False
    assert ISO_Z.fullmatch(endpoint["created_at"])
    assert endpoint["secret"].startswith("whsec_")
    assert len(base64.b64decode(endpoint["secret"].removeprefix("whsec_"))) >= 24


def test_get_list_patch_delete(caller):
    first = _create(caller.http, events=["task.succeeded", "task.failed"])
    second = _create(caller.http)
    assert first["events"] == ["task.succeeded", "task.failed"]
    assert caller.http.get(f"/api/v1/webhooks/{first['id']}").json()["data"] == first
    listing = caller.http.get("/api/v1/webhooks").json()
    assert [e["id"] for e in listing["data"]] == [second["id"], first["id"]]
    assert listing["pagination"] == {"cursor": None, "hasMore": False, "total": 2}

    r = caller.http.patch(
        f"/api/v1/webhooks/{first['id']}",
        json={"url": PUBLIC + "/v2", "events": ["task.progress"], "description": "d",
              "disabled": True},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    patched = r.json()["data"]
    assert patched == {**first, "url": PUBLIC + "/v2", "events": ["task.progress"],
                       "description": "d", "disabled": True}  # fmt: skip
    again = caller.http.patch(f"/api/v1/webhooks/{first['id']}", json={"disabled": False})
    assert again.json()["data"]["disabled"] is False
    assert again.json()["data"]["url"] == PUBLIC + "/v2"

    r = caller.http.delete(f"/api/v1/webhooks/{first['id']}")
    assert r.status_code == 200
    assert r.json()["data"] == {"id": first["id"], "deleted": True}
    assert error_of(caller.http.get(f"/api/v1/webhooks/{first['id']}"))["code"] == "NOT_FOUND"
    assert caller.http.delete(f"/api/v1/webhooks/{first['id']}").status_code == 404
    assert [e["id"] for e in caller.http.get("/api/v1/webhooks").json()["data"]] == [second["id"]]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"url": "https://exa mple.com/"}, "url"),
        ({"url": 42}, "url"),
        ({"url": "https://" + "a" * 2050}, "url"),
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": PUBLIC, "events": ["task.exploded"]}, "events"),
        ({"url": PUBLIC, "events": "task.failed"}, "events"),
        ({"url": PUBLIC, "description": "x" * 501}, "description"),
        ({"url": PUBLIC, "secret": "whsec_mine"}, "secret"),
    ],
)
def test_create_refuses_bad_bodies_naming_the_parameter(caller, body, param):
    r = caller.http.post("/api/v1/webhooks", json=body)
    assert r.status_code == 400, r.text
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith(f"{param}:"), error


def test_bodies_that_are_not_json_objects_are_refused(caller):
    for content in (b"", b"{not json", b"[1]"):
        r = caller.http.post(
            "/api/v1/webhooks", content=content, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400
        assert error_of(r)["message"].startswith("body:")
    endpoint = _create(caller.http)
    r = caller.http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"disabled": "yes"})
    assert r.status_code == 400 and error_of(r)["message"].startswith("disabled:")
    r = caller.http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"events": ["nope"]})
    assert r.status_code == 400 and error_of(r)["message"].startswith("events:")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "http://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        "http://[ff02::1]/hook",  # multicast
        "http://224.0.0.251/hook",
    ],
)
def test_private_addresses_are_refused_at_registration(caller, url):
    r = caller.http.post("/api/v1/webhooks", json={"url": url})
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith("url:")
    assert "MEDIAGATE_FETCH_PRIVATE_URLS" in error["message"]
    endpoint = _create(caller.http)
    r = caller.http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"url": url})
    assert r.status_code == 400 and error_of(r)["message"].startswith("url:")


def test_a_name_that_does_not_exist_is_refused_at_registration(caller):
    r = caller.http.post("/api/v1/webhooks", json={"url": "https://hooks.mediagate.invalid/x"})
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"] == "url: hooks.mediagate.invalid does not resolve to any address"


def test_another_accounts_endpoint_is_not_found_like_an_unknown_one(caller, other):
    mine = _create(caller.http)
    unknown = caller.http.get("/api/v1/webhooks/wh_doesnotexist000000000000")
    assert unknown.status_code == 404
    for method, suffix in [
        ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"),
        ("POST", "/test"), ("GET", "/deliveries"),
        ("POST", "/deliveries/dlv_0000000000000001/redeliver"),
    ]:  # fmt: skip
        kwargs = {"json": {"description": "x"}} if method == "PATCH" else {}
        r = other.http.request(method, f"/api/v1/webhooks/{mine['id']}{suffix}", **kwargs)
        assert r.status_code == 404, (method, suffix)
        assert r.json() == unknown.json()
    assert other.http.get("/api/v1/webhooks").json()["data"] == []
    assert caller.http.get(f"/api/v1/webhooks/{mine['id']}").status_code == 200


def test_hostile_ids_are_not_found(caller):
    for bad in ("%00", "a" * 300, "wh_%0a"):
        r = caller.http.get(f"/api/v1/webhooks/{bad}")
        assert r.status_code == 404
        assert error_of(r)["code"] == "NOT_FOUND"


def test_modes_are_separate(pair):
    live_http, test_http = pair
    live_endpoint = _create(live_http)
    test_endpoint = _create(test_http)
    assert [e["id"] for e in live_http.get("/api/v1/webhooks").json()["data"]] == [
        live_endpoint["id"]
    ]
    assert [e["id"] for e in test_http.get("/api/v1/webhooks").json()["data"]] == [
        test_endpoint["id"]
    ]
    assert test_http.get(f"/api/v1/webhooks/{live_endpoint['id']}").status_code == 404
    assert live_http.get(f"/api/v1/webhooks/{test_endpoint['id']}").status_code == 404
    sent = test_http.post(f"/api/v1/webhooks/{test_endpoint['id']}/test").json()["data"]
    assert live_http.get("/api/v1/webhooks/default/deliveries").json()["data"] == []
    log = test_http.get(f"/api/v1/webhooks/{test_endpoint['id']}/deliveries").json()["data"]
    assert [d["id"] for d in log] == [sent["id"]]
    redeliver = f"/api/v1/webhooks/{test_endpoint['id']}/deliveries/{sent['id']}/redeliver"
    assert live_http.post(redeliver).status_code == 404


def test_default_secret_is_made_once(caller, other):
    first = caller.http.get("/api/v1/webhooks/default/secret")
    assert first.status_code == 200
    secret = first.json()["data"]["secret"]
    assert first.json()["data"] == {"secret": secret}
    assert secret.startswith("whsec_")
    assert caller.http.get("/api/v1/webhooks/default/secret").json()["data"]["secret"] == secret
    assert other.http.get("/api/v1/webhooks/default/secret").json()["data"]["secret"] != secret


def test_rotate_secret_gives_a_new_one(caller):
    endpoint = _create(caller.http)
    r = caller.http.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret")
    assert r.status_code == 200
    rotated = r.json()["data"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    assert {**rotated, "secret": endpoint["secret"]} == endpoint


def test_a_test_event_is_a_pending_delivery_in_the_log(caller):
    endpoint = _create(caller.http)
    r = caller.http.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert r.status_code == 202
    delivery = r.json()["data"]
    assert set(delivery) == DELIVERY_FIELDS
    assert delivery["id"].startswith("dlv_")
    assert delivery["event_id"].startswith("evt_")
    assert delivery["event_type"] == "webhook.test"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["response_status"] is None and delivery["error"] is None
    assert delivery["duration_ms"] is None
    assert ISO_Z.fullmatch(delivery["created_at"])
    assert ISO_Z.fullmatch(delivery["next_attempt_at"])
    page = caller.http.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()
    assert page["data"] == [delivery]
    assert page["pagination"] == {"cursor": None, "hasMore": False, "total": 1}
    again = caller.http.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver"
    )
    assert again.status_code == 202
    copy = again.json()["data"]
    assert copy["id"] != delivery["id"] and copy["event_id"] == delivery["event_id"]


def test_the_log_refuses_bad_paging_and_unknown_deliveries(caller):
    endpoint = _create(caller.http)
    path = f"/api/v1/webhooks/{endpoint['id']}/deliveries"
    bad = [
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"cursor": "!!"}, "cursor"),
        ({"cursor": "dGFza18x"}, "cursor"),
    ]
    for params, param in bad:
        r = caller.http.get(path, params=params)
        assert r.status_code == 400, params
        assert error_of(r)["message"].startswith(f"{param}:")
    for delivery_id in ("dlv_0000000000000001", "dlv_x", "42"):
        r = caller.http.post(f"{path}/{delivery_id}/redeliver")
        assert r.status_code == 404
        assert error_of(r)["code"] == "NOT_FOUND"
    assert caller.http.get("/api/v1/webhooks/wh_nope/deliveries").status_code == 404
    default = caller.http.get("/api/v1/webhooks/default/deliveries").json()
    assert default == {
        "success": True,
        "data": [],
        "pagination": {"cursor": None, "hasMore": False, "total": 0},
    }


def test_every_route_needs_a_key(live):
    with live.client() as http:
        for method, path in [
            ("POST", "/api/v1/webhooks"), ("GET", "/api/v1/webhooks"),
            ("GET", "/api/v1/webhooks/default/secret"), ("GET", "/api/v1/webhooks/wh_x"),
            ("POST", "/api/v1/webhooks/wh_x/test"), ("GET", "/api/v1/webhooks/default/deliveries"),
        ]:  # fmt: skip
            r = http.request(method, path)
            assert r.status_code == 401, path
            assert error_of(r)["code"] == "UNAUTHORIZED"


def test_openapi_documents_every_webhook_route(live):
    with live.client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    routes = {
        "/api/v1/webhooks": {"get", "post"},
        "/api/v1/webhooks/default/secret": {"get"},
        "/api/v1/webhooks/{webhook_id}": {"get", "patch", "delete"},
        "/api/v1/webhooks/{webhook_id}/rotate-secret": {"post"},
        "/api/v1/webhooks/{webhook_id}/test": {"post"},
        "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {"post"},
    }
    for path, methods in routes.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["description"], (path, method)
            assert "401" in operation["responses"], (path, method)
            assert any(code.startswith("2") for code in operation["responses"])
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (path, method, parameter["name"])
    assert "requestBody" in paths["/api/v1/webhooks"]["post"]
    assert "requestBody" in paths["/api/v1/webhooks/{webhook_id}"]["patch"]
    assert "404" in paths["/api/v1/webhooks/{webhook_id}"]["get"]["responses"]
