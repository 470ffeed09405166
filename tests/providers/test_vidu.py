"""Vidu specifics, over loopback against the simulator: the Token header, Vidu's refusals and
their mapping, the state vocabulary, cancel (only until scheduled), the client reference in
`payload`. Vidu publishes no Python SDK, so the simulator and these tests are the wire check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from remote_support import Gateway, SimServer

from mediagate.catalog import CATALOG
from mediagate.providers.base import JobState, JobStatus, ProviderError, SubmitRequest
from mediagate.providers.remote import Connection
from mediagate.providers.vidu import ViduProvider
from mediagate.providers.vidu.errors import failure, refusal
from mediagate.simulator import SIM_CREDENTIALS

T = TypeVar("T")
KEY = SIM_CREDENTIALS["vidu"]["api_key"]


def with_vidu(
    sim_server: SimServer, use: Callable[[ViduProvider], Awaitable[T]], api_key: str = KEY
) -> T:
    """Run `use` with a Vidu adapter pointed at the simulator."""

    async def run() -> T:
        connection = Connection(sim_server.base_url("vidu"), {"api_key": api_key}, timeout_s=5)
        vidu = ViduProvider(connection)
        try:
            return await use(vidu)
        finally:
            await vidu.aclose()

    return asyncio.run(run())


def request(model: str, prompt: str, ref: str = "ref_vidu_test", **fields: Any) -> SubmitRequest:
    spec = CATALOG.get(model)
    assert spec is not None
    return SubmitRequest("task_x", spec, {"prompt": prompt, **fields}, ref)


def raw(sim_server: SimServer, method: str, path: str, token: str = KEY, **kw: Any) -> Any:
    headers = {"Authorization": f"Token {token}"}
    return httpx.request(method, sim_server.url + path, headers=headers, timeout=10, **kw)


async def until_final(vidu: ViduProvider, job_id: str) -> list[JobStatus]:
    seen = [await vidu.poll(job_id)]
    while seen[-1].state in (JobState.QUEUED, JobState.RUNNING):
        await asyncio.sleep(0.05)
        seen.append(await vidu.poll(job_id))
    return seen


def test_a_wrong_key_is_refused_as_credentials(sim_server: SimServer) -> None:
    async def submit(vidu: ViduProvider) -> None:
        await vidu.submit(request("viduq2", "a fox"))

    with pytest.raises(ProviderError) as refused:
        with_vidu(sim_server, submit, api_key="not-the-key")
    assert refused.value.code == "PROVIDER_UNAVAILABLE"
    assert "credentials" in refused.value.message
    # The scheme matters too: Vidu wants `Token`, not `Bearer`.
    answer = httpx.post(
        sim_server.url + "/ent/v2/text2video",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"model": "viduq2", "prompt": "a fox"},
    )
    assert answer.status_code == 401
    assert answer.json()["reason"] == "Unauthorized"
    assert set(answer.json()) == {"code", "reason", "message", "metadata"}


def test_requests_vidu_refuses_are_refused_the_same_way(sim_server: SimServer) -> None:
    too_long = raw(sim_server, "POST", "/ent/v2/text2video",
                   json={"model": "viduq2", "prompt": "a fox", "duration": 12})  # fmt: skip
    assert too_long.status_code == 400
    assert too_long.json()["reason"] == "FieldInvalid" and "1-10" in too_long.json()["message"]
    two_images = raw(sim_server, "POST", "/ent/v2/img2video",
                     json={"model": "viduq2", "images": ["https://a/b.png"] * 2})  # fmt: skip
    assert two_images.json()["reason"] == "FieldItemCountOutOfRange"
    no_prompt = raw(sim_server, "POST", "/ent/v2/reference2image", json={"model": "viduq2"})
    assert no_prompt.json()["reason"] == "FieldLacking"

    async def submit(vidu: ViduProvider) -> None:  # past the gateway's own schema
        await vidu.submit(request("viduq2", "a fox", duration=12))

    with pytest.raises(ProviderError) as refused:
        with_vidu(sim_server, submit)
    assert refused.value.code == "INVALID_INPUT" and "FieldInvalid" in refused.value.message


def test_wire_body_and_states_map_into_the_contract(sim_server: SimServer) -> None:
    async def run(vidu: ViduProvider) -> tuple[str, list[JobStatus]]:
        job = await vidu.submit(request("viduq3-turbo", "a fox", "ref_states", duration=2,
                                        resolution="540p", audio=True))  # fmt: skip
        return job, await until_final(vidu, job)

    job, seen = with_vidu(sim_server, run)
    states = [s.state for s in seen]
    assert states[0] is JobState.QUEUED and states[-1] is JobState.SUCCEEDED
    assert states == sorted(states, key=[JobState.QUEUED, JobState.RUNNING,
                                         JobState.SUCCEEDED].index)  # fmt: skip
    assert seen[-1].progress == 100 and len(seen[-1].outputs) == 1
    answer = raw(sim_server, "GET", f"/ent/v2/tasks/{job}/creations").json()
    # The gateway's reference rides in `payload`; a finished task's creations carry the URL.
    assert answer["state"] == "success" and answer["payload"] == "ref_states"
    url = httpx.URL(answer["creations"][0]["url"])
    assert url.path == httpx.URL(seen[-1].outputs[0].url or "").path
    expires = int(url.params["expires"])
    assert 23 * 3600 < expires - time.time() <= 24 * 3600  # Vidu's URLs last 24 hours


def test_image_to_video_sends_the_start_frame(sim_server: SimServer) -> None:
    async def run(vidu: ViduProvider) -> str:
        return await vidu.submit(
            request("viduq2", "the fox turns", image="https://example.com/fox.png")
        )

    job = with_vidu(sim_server, run)
    submits = [r for r in sim_server.sim.requests if r.job == job]
    assert [r.action for r in submits] == ["submit"]
    stored = sim_server.sim.store.get("vidu", job)
    assert stored is not None
    assert stored.params["type"] == "img2video"
    assert stored.params["images"] == ["https://example.com/fox.png"]
    assert "aspect_ratio" not in stored.params  # image-to-video keeps the image's


def test_cancel_reaches_vidu_until_the_task_is_scheduled(sim_server: SimServer) -> None:
    async def run(vidu: ViduProvider) -> tuple[str, JobStatus, str, JobStatus]:
        waiting = await vidu.submit(request("viduq2", "a slow fox [sim:slow]", "ref_c1"))
        await vidu.cancel(waiting)
        cancelled = await vidu.poll(waiting)
        running = await vidu.submit(request("viduq2", "a quick fox", "ref_c2"))
        status = await vidu.poll(running)
        while status.state is JobState.QUEUED:
            await asyncio.sleep(0.05)
            status = await vidu.poll(running)
        await vidu.cancel(running)  # refused: scheduled; no error, the job runs on
        return waiting, cancelled, running, (await until_final(vidu, running))[-1]

    waiting, cancelled, running, finished = with_vidu(sim_server, run)
    assert cancelled.state is JobState.CANCELLED
    assert sim_server.sim.count("vidu", "cancel", waiting) == 1
    refused = [r for r in sim_server.sim.requests if r.action == "cancel" and r.key == running]
    assert [r.status for r in refused] == [400]
    assert finished.state is JobState.SUCCEEDED


def test_a_gateway_cancel_reaches_vidu(gateway: Gateway) -> None:
    prompt = "a slow fox to cancel at vidu [sim:slow]"
    task = gateway.create("viduq3-pro", "video", prompt)
    gateway.wait(task["id"], until={"queued"})
    assert gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 200
    assert gateway.wait(task["id"])["status"] == "cancelled"
    sim = gateway.sim.sim
    deadline = time.monotonic() + 20
    while not [r for r in sim.requests_for(prompt) if r.action == "cancel"]:
        assert time.monotonic() < deadline, sim.requests_for(prompt)
        time.sleep(0.05)
    assert [r.status for r in sim.requests_for(prompt) if r.action == "cancel"] == [200]


def test_refusals_and_failures_map_to_contract_codes() -> None:
    def refused(reason: str, status: int = 400) -> ProviderError | None:
        return refusal(status, {"code": status, "reason": reason, "message": "m", "metadata": {}})

    assert (error := refused("CreditInsufficient")) and error.code == "PROVIDER_UNAVAILABLE"
    assert (error := refused("AuditSubmitIllegal")) and error.code == "CONTENT_POLICY_VIOLATION"
    assert (error := refused("OperationInProcess")) and error.retryable
    assert (error := refused("ImageDownloadFailure")) and error.code == "INVALID_INPUT"
    assert refused("Unauthorized", 401) is None  # the framework's "credentials refused"
    assert failure("TaskPromptPolicyViolation").error_code == "CONTENT_POLICY_VIOLATION"
    assert failure("CreditInsufficient").error_code == "PROVIDER_UNAVAILABLE"
    assert failure("InternalServiceFailure").error_code == "PROVIDER_ERROR"
    assert failure("UserCancelled").state is JobState.CANCELLED


def test_no_lookup_by_client_reference(sim_server: SimServer) -> None:
    """Vidu's task list cannot be filtered by `payload`: a lost submit answer is not found."""

    async def run(vidu: ViduProvider) -> str | None:
        await vidu.submit(request("viduq2", "a fox", "ref_lookup"))
        return await vidu.find_job("ref_lookup")

    assert with_vidu(sim_server, run) is None
