"""URL inputs through the HTTP API, on each backend: a URL the fetching client (httpx) cannot
parse is a 400 naming the field at create, and no task is stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from helpers import error_of

UNPARSEABLE = [
    "http://0177.0.0.1:99999/x.png",  # the review's case: Gemini would fail at submit
    "http://0177.0.0.1/x.png",
    "http://example.com:99999/x.png",
    "http://example.com:0/x.png",
    "http://[::1/x.png",
    "http://xn--zz/x.png",
    "http://2130706433/x.png",
    "http:///x.png",
]


@pytest.fixture
def sandbox(live) -> Iterator[httpx.Client]:
    """A sandbox key of a new account (every model is available to it)."""
    key = live.new_key(test=True)
    with live.client(key.secret) as http:
        yield http


def _create(http: httpx.Client, model: str, type_: str, **fields: object) -> httpx.Response:
    body = {"type": type_, "model": model, "input": {"prompt": "a heron", **fields}}
    return http.post("/api/v1/tasks", json=body)


def _total(http: httpx.Client) -> int:
    r = http.get("/api/v1/tasks")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["data"]) == body["pagination"]["total"]
    return body["pagination"]["total"]


@pytest.mark.parametrize("url", UNPARSEABLE)
def test_an_unparseable_image_url_is_refused_at_create(sandbox: httpx.Client, url: str) -> None:
    r = _create(sandbox, "gemini-2.5-flash-image", "image", image=url)
    assert r.status_code == 400, r.text
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith("input.image:")
    assert _total(sandbox) == 0


def test_every_url_field_of_every_model_is_checked(sandbox: httpx.Client) -> None:
    bad = UNPARSEABLE[0]
    cases = [
        ("kling-v2-6", "video", {"image": "https://cdn.example.com/a.png", "image_tail": bad},
         "input.image_tail:"),
        ("seedream-4-0", "image", {"image": ["https://cdn.example.com/a.png", bad]},
         "input.image.1:"),
        ("veo-3.1-fast-generate-preview", "video", {"image": bad}, "input.image:"),
    ]  # fmt: skip
    for model, type_, fields, prefix in cases:
        r = _create(sandbox, model, type_, **fields)
        assert r.status_code == 400, (model, r.text)
        assert error_of(r)["message"].startswith(prefix), (model, r.text)
    r = sandbox.post("/api/v1/tasks", json={
        "type": "image", "model": "local-image", "input": {"prompt": "p"}, "callback_url": bad,
    })  # fmt: skip
    assert r.status_code == 400 and error_of(r)["message"].startswith("callback_url:")
    assert _total(sandbox) == 0


def test_a_well_formed_image_url_is_accepted(sandbox: httpx.Client) -> None:
    """Create does not resolve names (the fetch decides, on the address it connects to)."""
    r = _create(sandbox, "gemini-2.5-flash-image", "image", image="https://img.example/heron.png")
    assert r.status_code == 202, r.text
    assert r.json()["data"]["input"]["image"] == "https://img.example/heron.png"
