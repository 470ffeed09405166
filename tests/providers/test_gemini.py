"""What is specific to the Gemini API, against the simulator over loopback: the key it checks
(and how Google refuses a bad one), the requests it refuses, the wire bodies, operations mapped
into statuses, Google's RetryInfo, videos fetched with the key, images returned inline and kept
as files until stored, and no cancel."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from remote_support import Gateway, SimServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from helpers import serve_app
from mediagate.catalog import CATALOG
from mediagate.providers.base import (
    JobNotFound,
    JobState,
    JobStatus,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)
from mediagate.providers.egress import EgressPolicy, egress_client
from mediagate.providers.gemini import GeminiProvider, inline
from mediagate.providers.gemini.images import images_of
from mediagate.providers.gemini.veo import status as operation_status
from mediagate.providers.http import Malformed
from mediagate.providers.remote import Connection
from mediagate.simulator import SIM_CREDENTIALS
from mediagate.simulator.scenarios import RETRY_AFTER_S

KEY = SIM_CREDENTIALS["gemini"]["api_key"]
VEO = "veo-3.1-fast-generate-preview"
IMAGE_MODEL = "gemini-2.5-flash-image"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ESXHgA0wYRUdtBIA/zIBUFXKRGIAAAAASUVORK5CYII="
)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


def with_gemini(
    sim_server: SimServer,
    body: Callable[[GeminiProvider], Awaitable[Any]],
    *,
    key: str = KEY,
    files_dir: Path | None = None,
    allow_private_urls: bool = False,
) -> Any:
    async def run() -> Any:
        connection = Connection(
            sim_server.base_url("gemini"),
            {"api_key": key},
            timeout_s=5,
            files_dir=files_dir,
            allow_private_urls=allow_private_urls,
        )
        provider = GeminiProvider(connection)
        try:
            return await body(provider)
        finally:
            await provider.aclose()

    return asyncio.run(run())


def request(model: str = VEO, **fields: Any) -> SubmitRequest:
    spec = CATALOG.get(model)
    assert spec is not None
    validated = spec.input_model(**fields).model_dump()
    return SubmitRequest(task_id="task_gemini_test", model=spec, input=validated, client_ref="r")


def refused(
    sim_server: SimServer, submit: SubmitRequest, key: str = KEY, **options: Any
) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        with_gemini(sim_server, lambda p: p.submit(submit), key=key, **options)
    return raised.value


def until_done(sim_server: SimServer, prompt: str, **fields: Any) -> list[JobStatus]:
    """Submit a Veo job and poll it until final: every status seen."""

    async def body(provider: GeminiProvider) -> list[JobStatus]:
        job_id = await provider.submit(request(prompt=prompt, **fields))
        seen = [await provider.poll(job_id)]
        while seen[-1].state not in (JobState.SUCCEEDED, JobState.FAILED):
            await asyncio.sleep(0.1)
            seen.append(await provider.poll(job_id))
        return seen

    return with_gemini(sim_server, body)


def test_a_wrong_key_is_refused_as_credentials(sim_server: SimServer) -> None:
    for submit in (request(prompt="a heron"), request(IMAGE_MODEL, prompt="a heron")):
        error = refused(sim_server, submit, key="AIza-wrong")
        assert error.code == "PROVIDER_UNAVAILABLE" and not error.retryable
        assert "credentials" in error.message and "MEDIAGATE_GEMINI_API_KEY" in error.message
    with pytest.raises(ProviderError) as raised:
        with_gemini(sim_server, lambda p: p.poll(f"models/{VEO}/operations/abc"), key="wrong")
    assert raised.value.code == "PROVIDER_UNAVAILABLE"


def test_the_key_is_checked_as_google_does(sim_server: SimServer) -> None:
    """Google answers a wrong key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), a missing
    one with 403 PERMISSION_DENIED, and also takes the key as `?key=`."""
    url = f"{sim_server.url}/v1beta/models/{VEO}:predictLongRunning"
    body = {"instances": [{"prompt": "a heron"}]}
    wrong = httpx.post(url, json=body, headers={"x-goog-api-key": "wrong"})
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert (
        error["status"] == "INVALID_ARGUMENT" and error["details"][0]["reason"] == "API_KEY_INVALID"
    )
    missing = httpx.post(url, json=body)
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    by_query = httpx.post(url, json=body, params={"key": KEY})
    assert by_query.status_code == 200 and by_query.json()["name"].startswith(f"models/{VEO}/")


def test_the_wire_body_carries_every_input(sim_server: SimServer) -> None:
    submit = request(
        prompt="a heron",
        duration_seconds=6,
        aspect_ratio="9:16",
        negative_prompt="rain",
        image=PNG_URI,
    )
    job_id = with_gemini(sim_server, lambda p: p.submit(submit))
    job = sim_server.sim.store.get("gemini", job_id.rsplit("/", 1)[1])
    assert job is not None and job.model == VEO and job.prompt == "a heron"
    assert job.params == {
        "parameters": {
            "aspectRatio": "9:16",
            "durationSeconds": 6,
            "resolution": "720p",
            "negativePrompt": "rain",
        },
        "image": True,
    }
    assert (job.outputs[0].width, job.outputs[0].height, job.outputs[0].duration) == (180, 320, 6)


def test_requests_gemini_refuses_are_invalid_input(sim_server: SimServer) -> None:
    error = refused(sim_server, request(prompt="a heron", resolution="1080p", duration_seconds=4))
    assert error.code == "INVALID_INPUT" and "8 seconds" in error.message
    odd_ratio = dataclasses.replace(
        request(IMAGE_MODEL, prompt="a heron"), input={"prompt": "a heron", "aspect_ratio": "7:3"}
    )
    error = refused(sim_server, odd_ratio)
    assert error.code == "INVALID_INPUT" and "7:3" in error.message
    not_png = request(prompt="a heron", image="data:image/gif;base64,R0lGODlhAQABAAAAACw=")
    error = refused(sim_server, not_png)
    assert error.code == "INVALID_INPUT" and "image/gif" in error.message


def test_a_model_gemini_no_longer_serves_is_unavailable(sim_server: SimServer) -> None:
    """Google answers 404 NOT_FOUND for a retired model: the submit may fail over."""
    spec = CATALOG.get(VEO)
    assert spec is not None
    retired = dataclasses.replace(spec, provider_model="veo-2.0-generate-001")
    error = refused(sim_server, dataclasses.replace(request(prompt="a heron"), model=retired))
    assert error.code == "PROVIDER_UNAVAILABLE" and "not found" in error.message


def test_the_gateway_refuses_what_the_schema_forbids(gateway: Gateway) -> None:
    http = gateway.client()
    for bad in ({"duration_seconds": 5}, {"resolution": "4k"}, {"image": "ftp://x/y.png"}):
        body = {"type": "video", "model": VEO, "input": {"prompt": "a heron", **bad}}
        response = http.post("/api/v1/tasks", json=body)
        assert response.status_code == 400, response.text
    task = gateway.create(VEO, "video", "a heron", resolution="1080p", duration_seconds=4)
    done = gateway.wait(task["id"])
    assert done["status"] == "failed" and done["error"]["code"] == "INVALID_INPUT", done
    assert done["provider"] == "gemini"  # a refused input is not failed over


def test_an_operation_runs_then_succeeds_with_a_download_url(sim_server: SimServer) -> None:
    seen = until_done(sim_server, "a heron in flight", duration_seconds=4)
    assert {s.state for s in seen[:-1]} == {JobState.RUNNING}  # no queue is reported
    assert all(s.progress is None and s.queue_position is None for s in seen[:-1])
    done = seen[-1]
    assert done.state is JobState.SUCCEEDED and len(done.outputs) == 1
    output = done.outputs[0]
    assert output.url is not None
    assert output.url.startswith(sim_server.url + "/v1beta/files/")  # rewritten to the base
    assert output.url.endswith(":download?alt=media")
    assert output.headers == {"x-goog-api-key": KEY}
    assert httpx.get(output.url).status_code == 403  # the download needs the key
    fetched = httpx.get(output.url, headers=dict(output.headers))
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "video/mp4"


def test_failures_map_to_the_contract(sim_server: SimServer) -> None:
    banned = until_done(sim_server, "a heron [sim:content_policy]", duration_seconds=4)[-1]
    assert banned.state is JobState.FAILED and banned.error_code == "CONTENT_POLICY_VIOLATION"
    assert "Responsible AI" in (banned.error_message or "")

    def poll_once(prompt: str) -> Callable[[GeminiProvider], Awaitable[JobStatus]]:
        async def body(provider: GeminiProvider) -> JobStatus:
            job_id = await provider.submit(request(prompt=prompt, duration_seconds=4))
            await asyncio.sleep(1.5)  # past the simulated run
            return await provider.poll(job_id)

        return body

    for prompt, error, says in (
        ("a heron [sim:unknown]", RetryableError, "neither a response nor an error"),
        ("a heron [sim:lost]", JobNotFound, "does not know this job"),
        ("a heron [sim:malformed]", Malformed, "malformed"),
    ):
        with pytest.raises(error, match=says):
            with_gemini(sim_server, poll_once(prompt))


def test_operation_answers_map_to_statuses() -> None:
    name = f"models/{VEO}/operations/abc"
    base = "https://gw.example"

    def status(**fields: Any) -> JobStatus:
        return operation_status({"name": name, **fields}, base, "k")

    assert status().state is JobState.RUNNING and status(done=False).state is JobState.RUNNING
    for code, message, expected in (
        (3, "durationSeconds out of range", "INVALID_INPUT"),
        (13, "Internal error", "PROVIDER_ERROR"),
        (3, "The prompt violates the usage guidelines", "CONTENT_POLICY_VIOLATION"),
    ):
        failed = status(done=True, error={"code": code, "message": message})
        assert failed.state is JobState.FAILED and failed.error_code == expected
    nothing = status(done=True, response={"generateVideoResponse": {"generatedSamples": []}})
    assert nothing.state is JobState.FAILED and nothing.error_code == "PROVIDER_ERROR"
    uri = "https://generativelanguage.googleapis.com/v1beta/files/xyz42:download?alt=media"
    video = {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}
    done = status(done=True, response=video)
    assert done.outputs[0].url == f"{base}/v1beta/files/xyz42:download?alt=media"
    broken_answers = (
        {"done": "yes"},
        {"done": True, "response": {"other": 1}},
        {"done": True, "error": "x"},
    )
    for broken in broken_answers:
        with pytest.raises(Malformed):
            operation_status({"name": name, **broken}, base, "k")


def test_image_answers_map_to_errors() -> None:
    with pytest.raises(ProviderError) as raised:
        images_of({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})
    assert raised.value.code == "CONTENT_POLICY_VIOLATION"
    withheld = {"candidates": [{"finishReason": "IMAGE_SAFETY", "content": {"parts": []}}]}
    with pytest.raises(ProviderError) as raised:
        images_of(withheld)
    assert raised.value.code == "CONTENT_POLICY_VIOLATION"
    text_only = {"candidates": [{"finishReason": "STOP", "content": {"parts": [{"text": "No."}]}}]}
    with pytest.raises(ProviderError) as raised:
        images_of(text_only)
    assert raised.value.code == "PROVIDER_ERROR" and "No." in raised.value.message
    for broken in ({}, {"candidates": "x"}, {"candidates": [{"content": {"parts": [
            {"inlineData": {"mimeType": "image/png", "data": "not base64!"}}]}}]}):  # fmt: skip
        with pytest.raises(Malformed):
            images_of(broken)
    png = base64.b64encode(PNG).decode()
    parts = [{"text": "Here:"}, {"inlineData": {"mimeType": "image/png", "data": png}}]
    assert images_of({"candidates": [{"content": {"parts": parts}}]}) == [("png", PNG)]


def test_rate_limits_say_when_to_retry_in_the_body(sim_server: SimServer) -> None:
    """Google's 429 carries `google.rpc.RetryInfo` (no Retry-After header): it is honoured,
    at submit and at poll."""
    prompt = "a heron, rate limited directly [sim:rate_limit]"
    for _ in range(2):
        with pytest.raises(RateLimited) as raised:
            with_gemini(sim_server, lambda p: p.submit(request(prompt=prompt)))
        assert raised.value.retry_after_s == RETRY_AFTER_S
    job_id = with_gemini(sim_server, lambda p: p.submit(request(prompt=prompt)))
    with pytest.raises(RateLimited) as raised:
        with_gemini(sim_server, lambda p: p.poll(job_id))
    assert raised.value.retry_after_s == RETRY_AFTER_S


def test_images_are_kept_as_files_until_stored(sim_server: SimServer, tmp_path: Path) -> None:
    files = tmp_path / "provider-files" / "gemini"
    submit = request(IMAGE_MODEL, prompt="a heron, inline", aspect_ratio="21:9", image=PNG_URI)

    async def body(provider: GeminiProvider) -> tuple[str, JobStatus]:
        job_id = await provider.submit(submit)
        return job_id, await provider.poll(job_id)

    job_id, status = with_gemini(sim_server, body, files_dir=files)
    assert job_id.startswith("inline:task_gemini_test-")
    assert status.state is JobState.SUCCEEDED and len(status.outputs) == 1
    path = status.outputs[0].path
    assert path is not None and path.parent == files
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A worker that does not share the data directory cannot find them: PROVIDER_ERROR.
    with pytest.raises(JobNotFound) as raised:
        with_gemini(sim_server, lambda p: p.poll(job_id), files_dir=tmp_path / "elsewhere")
    assert "not on this machine" in raised.value.message
    with_gemini(sim_server, lambda p: p.cleanup(job_id), files_dir=files)
    assert not path.exists()


def test_the_gateway_removes_stored_images(gateway: Gateway) -> None:
    task = gateway.create(IMAGE_MODEL, "image", "a heron, stored then removed")
    done = gateway.wait(task["id"])
    assert done["status"] == "succeeded", done
    assert done["result"][0]["format"] == "png" and done["result"][0]["width"] == 320
    # The worker removes them right after recording the result (a lost write keeps them for
    # the worker that takes over), so they may outlive the `succeeded` by a moment.
    kept = gateway.data_dir / "provider-files" / "gemini"
    deadline = time.monotonic() + 5
    while [p for p in kept.iterdir() if p.name.startswith(task["id"])]:
        assert time.monotonic() < deadline, "the inline image files were never removed"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    async def image(request: Request) -> Response:
        IMAGE_REQUESTS.append(request.path_params["name"])
        if request.path_params["name"] == "moved.png":  # to the same server, by another name
            where = f"http://localhost:{request.url.port}/heron.png"
            return Response(status_code=302, headers={"location": where})
        if request.path_params["name"] != "heron.png":
            return Response("no such image", status_code=404)
        return Response(PNG, media_type="image/png")

    server, thread, url = serve_app(Starlette(routes=[Route("/{name}", image)]))
    yield url
    server.should_exit = True
    thread.join(10)


IMAGE_REQUESTS: list[str] = []


def test_input_image_urls_are_fetched_and_inlined(sim_server: SimServer, image_server: str) -> None:
    """With private URLs allowed (the image server is on loopback)."""
    submit = request(prompt="a heron from a URL", image=f"{image_server}/heron.png")
    job_id = with_gemini(sim_server, lambda p: p.submit(submit), allow_private_urls=True)
    job = sim_server.sim.store.get("gemini", job_id.rsplit("/", 1)[1])
    assert job is not None and job.params["image"] is True
    error = refused(
        sim_server,
        request(prompt="a heron", image=f"{image_server}/gone.png"),
        allow_private_urls=True,
    )
    assert error.code == "INVALID_INPUT" and "HTTP 404" in error.message


def test_input_image_urls_on_private_addresses_are_refused(
    sim_server: SimServer, image_server: str
) -> None:
    """By default a client cannot make the gateway fetch from loopback or a private network
    (SSRF): the submit is refused, naming the address, and nothing is requested."""
    IMAGE_REQUESTS.clear()
    port = httpx.URL(image_server).port
    urls = (
        f"{image_server}/heron.png",
        f"http://localhost:{port}/heron.png",
        f"http://[::1]:{port}/heron.png",
        "http://169.254.169.254/latest/meta-data",  # a cloud metadata service
    )
    for url in urls:
        error = refused(sim_server, request(prompt="a private heron", image=url))
        assert error.code == "INVALID_INPUT", url
        assert "not a public address" in error.message
        assert "MEDIAGATE_FETCH_PRIVATE_URLS" in error.message
    assert IMAGE_REQUESTS == []
    assert sim_server.sim.requests_for("a private heron") == []  # nor did the provider


def test_a_redirect_to_a_private_address_is_refused(image_server: str) -> None:
    """An allowed URL that redirects to a private one is refused at the redirect. (A public
    host cannot be served on loopback: here 127.0.0.1 is allowed as a host the operator
    configured, and it redirects to `localhost`, which is not.)"""
    IMAGE_REQUESTS.clear()

    async def fetch() -> None:
        policy = EgressPolicy(trusted_hosts=frozenset({"127.0.0.1"}))
        async with egress_client(policy, timeout=5.0, follow_redirects=True) as client:
            await inline.fetch(f"{image_server}/moved.png", client)

    with pytest.raises(ProviderError) as raised:
        asyncio.run(fetch())
    assert raised.value.code == "INVALID_INPUT"
    assert "localhost resolves to" in raised.value.message
    assert "loopback" in raised.value.message
    assert IMAGE_REQUESTS == ["moved.png"]  # the redirect target was never requested


def test_cancel_ends_the_task_and_its_polls(gateway: Gateway) -> None:
    """Gemini has no cancel: the task ends cancelled at once and the job is no longer polled."""
    prompt = "a slow heron, cancelled [sim:slow]"
    task = gateway.create(VEO, "video", prompt, duration_seconds=4)
    gateway.wait(task["id"], until={"running"})
    assert gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 200
    done = gateway.wait(task["id"])
    assert done["status"] == "cancelled" and "result" not in done
    polled = gateway.sim.sim.requests_for(prompt)
    time.sleep(2.5)  # longer than the poll interval of a running job
    assert gateway.sim.sim.requests_for(prompt) == polled
    assert not [r for r in polled if r.action == "cancel"]
