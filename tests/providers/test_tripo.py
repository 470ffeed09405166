"""What is specific to Tripo, against the simulator over loopback: the key it checks, the
requests it refuses, the wire bodies, statuses with progress, queue position and ETA, error
codes, outputs copied before their five-minute URLs expire, and no cancel."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from remote_support import Gateway, SimServer

from mediagate.catalog import CATALOG
from mediagate.providers.answers import Answer
from mediagate.providers.base import (
    JobNotFound,
    JobState,
    JobStatus,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)
from mediagate.providers.http import Malformed
from mediagate.providers.remote import Connection
from mediagate.providers.tripo import TripoProvider
from mediagate.providers.tripo.adapter import job_status
from mediagate.simulator import SIM_CREDENTIALS
from mediagate.simulator.providers import tripo as tripo_sim

KEY = SIM_CREDENTIALS["tripo"]["api_key"]
IMAGE = "https://example.com/fox.png"


def with_tripo(
    sim_server: SimServer, body: Callable[[TripoProvider], Awaitable[Any]], key: str = KEY
) -> Any:
    async def run() -> Any:
        connection = Connection(sim_server.base_url("tripo"), {"api_key": key})
        provider = TripoProvider(connection)
        try:
            return await body(provider)
        finally:
            await provider.aclose()

    return asyncio.run(run())


def request(model: str = "tripo-v2.5", **fields: Any) -> SubmitRequest:
    spec = CATALOG.get(model)
    assert spec is not None
    validated = spec.input_model(**fields).model_dump()
    return SubmitRequest(task_id="task_test", model=spec, input=validated, client_ref="ref_1")


def refused(sim_server: SimServer, submit: SubmitRequest, key: str = KEY) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        with_tripo(sim_server, lambda p: p.submit(submit), key=key)
    return raised.value


def test_a_wrong_key_is_refused_as_credentials(sim_server: SimServer) -> None:
    error = refused(sim_server, request(prompt="a chair"), key="tsk_wrong")
    assert error.code == "PROVIDER_UNAVAILABLE" and not error.retryable
    assert "credentials" in error.message and "MEDIAGATE_TRIPO_API_KEY" in error.message
    with pytest.raises(ProviderError) as raised:
        with_tripo(sim_server, lambda p: p.poll("any-task"), key="tsk_wrong")
    assert raised.value.code == "PROVIDER_UNAVAILABLE" and "credentials" in raised.value.message


def test_an_account_out_of_credits_is_unavailable_and_says_so(sim_server: SimServer) -> None:
    error = refused(sim_server, request(prompt="a chair"), key=tripo_sim.NO_CREDITS_KEY)
    assert error.code == "PROVIDER_UNAVAILABLE" and "out of credits" in error.message


def test_requests_tripo_refuses_are_invalid_input(sim_server: SimServer) -> None:
    spec = CATALOG.get("tripo-v2.5")
    assert spec is not None
    unknown_version = dataclasses.replace(spec, provider_model="v9.9-20990101")
    submit = dataclasses.replace(request(prompt="a chair"), model=unknown_version)
    error = refused(sim_server, submit)
    assert error.code == "INVALID_INPUT" and "model must be one of" in error.message
    unbounded = dataclasses.replace(
        request(prompt="a chair"), input={"prompt": "a chair", "face_limit": 0}
    )
    error = refused(sim_server, unbounded)
    assert error.code == "INVALID_INPUT" and "face_limit" in error.message


def test_the_gateway_refuses_inputs_tripo_cannot_take(gateway: Gateway) -> None:
    http = gateway.client()
    for fields in ({"image": "data:image/png;base64,AAAA"}, {"texture": "yes"}, {}):
        body = {"type": "model3d", "model": "tripo-v2.5", "input": fields}
        response = http.post("/api/v1/tasks", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "INVALID_PARAMETER"


def test_wire_bodies_send_only_what_differs_from_tripo_defaults(sim_server: SimServer) -> None:
    async def body(provider: TripoProvider) -> list[str]:
        return [
            await provider.submit(request(prompt="a lamp", texture=False, model_seed=3)),
            await provider.submit(request("tripo-v3.0", prompt="a lamp", image=IMAGE)),
            await provider.submit(request(image=IMAGE, prompt="a lamp [sim:slow]")),
        ]

    text, image, marked = (
        sim_server.sim.store.get("tripo", job) for job in with_tripo(sim_server, body)
    )
    assert text and image and marked
    assert text.params == {
        "prompt": "a lamp",
        "model": "v2.5-20250123",
        "texture": False,
        "model_seed": 3,
    }
    # Image-to-model takes no prompt: only a scenario marker's is passed on (for the simulator).
    assert image.params == {"input": IMAGE, "model": "v3.0-20250812"}
    assert marked.params == {
        "input": IMAGE,
        "model": "v2.5-20250123",
        "prompt": "a lamp [sim:slow]",
    }


def test_statuses_progress_queue_position_and_eta(sim_server: SimServer) -> None:
    async def body(provider: TripoProvider) -> tuple[JobStatus, list[JobStatus]]:
        slow = await provider.submit(request(prompt="a slow boat [sim:slow]"))
        queued = await provider.poll(slow)
        job = await provider.submit(request(prompt="a boat"))
        seen = [await provider.poll(job)]
        while seen[-1].state is not JobState.SUCCEEDED:
            await asyncio.sleep(0.05)
            seen.append(await provider.poll(job))
        return queued, seen

    queued, seen = with_tripo(sim_server, body)
    assert queued.state is JobState.QUEUED and queued.progress == 0
    assert queued.queue_position and queued.queue_position >= 1
    assert queued.eta_seconds and queued.eta_seconds > 0
    running = [s for s in seen if s.state is JobState.RUNNING]
    assert running and all(s.queue_position is None and s.eta_seconds is not None for s in running)
    assert all(0 <= (s.progress or 0) <= 99 for s in running)
    done = seen[-1]
    assert done.progress == 100 and len(done.outputs) == 1
    assert done.outputs[0].url and ".glb?" in done.outputs[0].url


def test_a_job_tripo_forgets_or_another_key_owns_is_not_found(sim_server: SimServer) -> None:
    job = with_tripo(sim_server, lambda p: p.submit(request(prompt="a mine")))
    with pytest.raises(JobNotFound):
        with_tripo(sim_server, lambda p: p.poll(job), key=tripo_sim.NO_CREDITS_KEY)
    lost = with_tripo(sim_server, lambda p: p.submit(request(prompt="a sieve [sim:lost]")))
    with pytest.raises(JobNotFound):
        with_tripo(sim_server, lambda p: p.poll(lost))


def _task(status: str, **fields: Any) -> Answer:
    return Answer("tripo", {"task_id": "t", "status": status, "progress": 100, **fields})


@pytest.mark.parametrize(
    ("task", "code", "words"),
    [
        (_task("banned"), "CONTENT_POLICY_VIOLATION", "content policy"),
        (_task("failed", error_code=2008, error_msg="policy"), "CONTENT_POLICY_VIOLATION", "2008"),
        (_task("failed", error_code=1001, error_message="fatal"), "PROVIDER_ERROR", "fatal"),
        (_task("expired"), "PROVIDER_ERROR", "expire"),
        (_task("cancelled"), "PROVIDER_ERROR", "cancelled"),
    ],
    ids=["banned", "failed-policy", "failed", "expired", "cancelled"],
)
def test_final_statuses_map_to_the_contract(task: Answer, code: str, words: str) -> None:
    status = job_status(task)
    assert status.state is JobState.FAILED and status.error_code == code
    assert status.error_message and words in status.error_message


def test_unknown_undocumented_and_incomplete_answers_are_retried() -> None:
    for status in ("unknown", "paused"):
        with pytest.raises(RetryableError):
            job_status(_task(status))
    with pytest.raises(Malformed):
        job_status(_task("success", output={"rendered_image_url": "https://x/p.webp"}))
    aliased = job_status(_task("success", output={"pbr_model": "https://x/m.glb"}))
    assert [o.url for o in aliased.outputs] == ["https://x/m.glb"]


@pytest.mark.parametrize(
    ("code", "kind", "contract"),
    [
        (1000, RetryableError, "PROVIDER_ERROR"),
        (1002, ProviderError, "PROVIDER_UNAVAILABLE"),
        (1003, ProviderError, "INVALID_INPUT"),
        (1004, ProviderError, "INVALID_INPUT"),
        (1005, ProviderError, "PROVIDER_UNAVAILABLE"),
        (2000, RateLimited, "PROVIDER_UNAVAILABLE"),
        (2001, JobNotFound, "PROVIDER_ERROR"),
        (2008, ProviderError, "CONTENT_POLICY_VIOLATION"),
        (2010, ProviderError, "PROVIDER_UNAVAILABLE"),
    ],
)
def test_error_codes(code: int, kind: type[ProviderError], contract: str) -> None:
    provider = TripoProvider(Connection("http://tripo.invalid", {"api_key": KEY}))
    body = {"code": code, "message": "as Tripo says", "suggestion": "do this"}
    error = provider.refusal(400, body)
    assert type(error) is kind and error.code == contract
    assert f"code {code}" in error.message and "as Tripo says. do this." in error.message
    assert provider.refusal(400, {"code": 2999, "message": "new"}) is None
    asyncio.run(provider.aclose())


def test_outputs_are_copied_before_tripo_urls_expire(
    gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Tripo's five-minute URLs cut to two seconds: once the task succeeded, the
    simulator refuses its URLs, and the gateway still serves the file it copied at once."""
    assert tripo_sim.URL_TTL_S == 300
    monkeypatch.setattr(tripo_sim, "URL_TTL_S", 2.0)
    prompt = "a short-lived teapot"
    done = gateway.wait(gateway.create("tripo-v2.5", "model3d", prompt)["id"])
    assert done["status"] == "succeeded", done
    [job] = [r.job for r in gateway.sim.sim.requests if r.key == prompt and r.job]
    with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as http:
        task = http.get(f"{gateway.sim.url}/v3/tasks/{job}").json()["data"]
        url = task["output"]["model_url"]
        expires = int(parse_qs(urlsplit(url).query)["expires"][0])
        time.sleep(max(0.0, expires - time.time()) + 1.1)
        denied = http.get(url)
    assert denied.status_code == 403 and b"expired" in denied.content
    [item] = done["result"]
    assert not item["url"].startswith(gateway.sim.url)
    [path] = gateway.download(done, tmp_path)
    assert path.read_bytes()[:4] == b"glTF" and item["format"] == "glb"


def test_cancel_never_reaches_tripo(gateway: Gateway) -> None:
    """Tripo has no cancel call: the task ends cancelled, its job runs on at Tripo."""
    assert TripoProvider.supports_cancel is False
    assert with_tripo(gateway.sim, lambda p: p.find_job("ref_1")) is None
    prompt = "an uncancellable kettle [sim:slow]"
    task = gateway.create("tripo-v2.5", "model3d", prompt)
    gateway.wait(task["id"], until={"queued", "running"})
    assert gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 200
    assert gateway.wait(task["id"])["status"] == "cancelled"
    [job] = [r.job for r in gateway.sim.sim.requests if r.key == prompt and r.job]
    stored = gateway.sim.sim.store.get("tripo", job)
    assert stored is not None and stored.cancelled_at is None
    assert gateway.sim.sim.count("tripo", "cancel") == 0
