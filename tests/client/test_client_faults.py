"""The client when things go wrong: real 429s from the gateway's rate limit, a response lost on
the way back, signed URLs that expired, no server at all."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from client_support import Gateway, LosingProxy, Recorder
from PIL import Image

from helpers import free_port
from mediagate import APIConnectionError, Client, RateLimited
from mediagate.api.ratelimit import RateLimiter


def _drain(gateway: Gateway, key: str, task_id: str) -> httpx.Response:
    """Spend the key's requests until the gateway answers 429; that answer."""
    with httpx.Client(
        base_url=gateway.base_url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        for _ in range(300):
            response = http.get(f"/api/v1/tasks/{task_id}")
            if response.status_code == 429:
                return response
    raise AssertionError("the rate limit never answered 429")


def test_rate_limit_answers_the_contract_429_on_every_route(strict_gateway: Gateway) -> None:
    key = strict_gateway.new_key()
    with strict_gateway.client(key) as client:
        task_id = client.tasks.create(type="image", model="local-image", input={"prompt": "x"}).id
    limited = _drain(strict_gateway, key, task_id)
    assert limited.json() == {
        "success": False,
        "error": {"code": "RATE_LIMITED", "message": limited.json()["error"]["message"]},
    }
    assert int(limited.headers["Retry-After"]) >= 1
    with httpx.Client(
        base_url=strict_gateway.base_url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        listing = http.get("/api/v1/tasks")  # the routes share the key's bucket
        assert listing.status_code == 429 and listing.headers["Retry-After"]
        # An unknown key is refused as such, never rate limited, however often it tries.
        stranger = {"Authorization": "Bearer mg_live_" + "u" * 40}
        assert {http.get("/api/v1/tasks", headers=stranger).status_code for _ in range(70)} == {401}
    # Other keys have their own bucket.
    with strict_gateway.client() as other:
        assert list(other.tasks.list()) == []


def test_client_rides_out_a_real_429_after_its_retry_after(strict_gateway: Gateway) -> None:
    key = strict_gateway.new_key()
    with strict_gateway.client(key) as client:
        task_id = client.tasks.create(type="image", model="local-image", input={"prompt": "x"}).id
    recorder = Recorder()
    with recorder.http() as http, strict_gateway.client(key, http_client=http) as client:
        for _ in range(3):  # a stalled machine may refill the bucket between drain and call
            _drain(strict_gateway, key, task_id)
            recorder.seen.clear()
            assert client.tasks.get(task_id).id == task_id
            if 429 in recorder.statuses():
                break
    statuses = recorder.statuses()
    assert statuses[0] == 429 and statuses[-1] == 200, statuses


def test_without_retries_a_429_is_rate_limited_with_retry_after(strict_gateway: Gateway) -> None:
    key = strict_gateway.new_key()
    with strict_gateway.client(key, max_retries=0) as client:
        task_id = client.tasks.create(type="image", model="local-image", input={"prompt": "x"}).id
        for _ in range(3):
            _drain(strict_gateway, key, task_id)
            try:
                client.tasks.get(task_id)
            except RateLimited as exc:
                assert (exc.status_code, exc.code) == (429, "RATE_LIMITED")
                assert exc.retry_after is not None and exc.retry_after >= 1
                return
    raise AssertionError("no 429 reached the client")


def test_create_retried_after_a_lost_response_makes_one_task(gateway: Gateway) -> None:
    key = gateway.new_key()
    proxy = LosingProxy(gateway.base_url, lambda request: request.startswith(b"POST "))
    try:
        with Client(base_url=proxy.url, api_key=key) as client:
            task = client.tasks.create(type="image", model="local-image", input={"prompt": "once"})
    finally:
        proxy.close()
    assert proxy.lost == 1
    posts = [r for r in proxy.requests if r.startswith(b"POST ")]
    assert len(posts) == 2  # the lost one, and the retry
    keys = {
        line.split(b":", 1)[1].strip()
        for r in posts
        for line in r.split(b"\r\n")
        if line.lower().startswith(b"idempotency-key:")
    }
    assert len(keys) == 1  # the same Idempotency-Key both times
    with gateway.client(key) as direct:
        assert [t.id for t in direct.tasks.list()] == [task.id]  # one task, not two


def test_download_refetches_the_task_when_its_urls_expired(
    strict_gateway: Gateway, tmp_path: Path
) -> None:
    recorder = Recorder()
    with recorder.http() as http, strict_gateway.client(http_client=http) as client:
        task = client.tasks.create(
            type="image", model="local-image", input={"prompt": "x", "width": 32, "height": 32}
        )
        task = client.tasks.wait(task, timeout=60)
        time.sleep(2.1)  # past the URLs' one-second lifetime
        recorder.seen.clear()
        [path] = client.tasks.download(task, tmp_path)
    with Image.open(path) as image:
        assert image.size == (32, 32)
    steps = [(method, path.split("/")[1], status) for method, path, status in recorder.seen]
    assert steps == [("GET", "files", 403), ("GET", "api", 200), ("GET", "files", 200)]


def test_no_server_is_a_connection_error_after_retries() -> None:
    port = free_port()
    recorder = Recorder()
    with (
        recorder.http() as http,
        Client(f"http://127.0.0.1:{port}", "mg_live_x", max_retries=1, http_client=http) as c,
        pytest.raises(APIConnectionError, match=f"127.0.0.1:{port}"),
    ):
        c.tasks.get("task_abcdefghijklmnopqrstuv")


def test_rate_limiter_bucket_bursts_refills_and_forgets_idle_keys() -> None:
    now = [100.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # 6 a minute: a token every 10 s
    assert [limiter.refusal("mg_live_a") for _ in range(6)] == [None] * 6
    refused = limiter.refusal("mg_live_a")
    assert refused is not None and refused.status_code == 429 and refused.code == "RATE_LIMITED"
    assert refused.headers == {"Retry-After": "10"} and refused.retry_after == 10
    assert limiter.refusal("mg_live_b") is None  # a bucket per key
    now[0] += 4.0
    assert limiter.refusal("mg_live_a").retry_after == 6  # type: ignore[union-attr]
    now[0] += 6.0
    assert limiter.refusal("mg_live_a") is None  # a refused request cost nothing
    now[0] += 3600
    limiter._prune(now[0])
    assert limiter._buckets == {}
