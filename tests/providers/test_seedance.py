"""Seedance: what the scenario tests do not show. The key sent and checked, ModelArk's
validation and error codes mapped, statuses mapped, cancel reaching ModelArk (and refused
once a task runs, as ModelArk refuses it)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from ark_support import request, run_with
from remote_support import Gateway, SimServer

from mediagate.providers.answers import Answer
from mediagate.providers.ark.seedance import SeedanceProvider, job_status, task_body
from mediagate.providers.base import (
    JobNotFound,
    JobState,
    JobStatus,
    ProviderError,
    RetryableError,
)
from mediagate.providers.http import Malformed
from mediagate.providers.remote import Connection
from mediagate.simulator.jobs import Phase

FOX = "https://example.com/fox.png"


def submit(sim_server: SimServer, model: str, prompt: str, **kw: Any) -> str:
    async def use(adapter: SeedanceProvider) -> str:
        return await adapter.submit(request(model, prompt, **kw))

    return run_with(SeedanceProvider, sim_server, use)


def poll(sim_server: SimServer, job_id: str) -> JobStatus:
    async def use(adapter: SeedanceProvider) -> JobStatus:
        return await adapter.poll(job_id)

    return run_with(SeedanceProvider, sim_server, use)


def poll_until(sim_server: SimServer, job_id: str, states: set[JobState]) -> list[JobStatus]:
    """Every status seen (one per change) until one in `states`."""

    async def use(adapter: SeedanceProvider) -> list[JobStatus]:
        seen: list[JobStatus] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status = await adapter.poll(job_id)
            if not seen or seen[-1].state != status.state:
                seen.append(status)
            if status.state in states:
                break
            await asyncio.sleep(0.05)
        return seen

    return run_with(SeedanceProvider, sim_server, use)


def refused(sim_server: SimServer, model: str, prompt: str, **kw: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        submit(sim_server, model, prompt, validate=False, **kw)
    return caught.value


def test_a_wrong_key_is_refused_as_credentials(sim_server: SimServer) -> None:
    async def use(adapter: SeedanceProvider) -> str:
        return await adapter.submit(request("seedance-1-0-pro", "a fox"))

    with pytest.raises(ProviderError) as caught:
        run_with(SeedanceProvider, sim_server, use, api_key="not-the-key")
    assert caught.value.code == "PROVIDER_UNAVAILABLE" and not caught.value.retryable
    assert "credentials" in caught.value.message
    assert sim_server.sim.requests[-1].status == 401
    # The simulator answers exactly as ModelArk does, whatever the client.
    answer = httpx.post(
        sim_server.base_url("seedance") + "/contents/generations/tasks",
        json={"model": "seedance-1-0-pro-250528", "content": [{"type": "text", "text": "x"}]},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "AuthenticationError"
    assert set(answer.json()["error"]) == {"code", "message", "param", "type"}


def test_the_request_is_modelarks_documented_body(sim_server: SimServer) -> None:
    body = task_body(
        "seedance-1-5-pro-251215",
        {"prompt": "a fox", "image": FOX, "last_frame_image": FOX, "duration": 4, "seed": None},
    )
    assert body == {
        "model": "seedance-1-5-pro-251215",
        "content": [
            {"type": "text", "text": "a fox"},
            {"type": "image_url", "image_url": {"url": FOX}, "role": "first_frame"},
            {"type": "image_url", "image_url": {"url": FOX}, "role": "last_frame"},
        ],
        "duration": 4,
    }
    job_id = submit(sim_server, "seedance-1-0-pro", "a posed fox", ratio="1:1", duration=3)
    job = sim_server.sim.store.get("seedance", job_id)
    assert job is not None and job.model == "seedance-1-0-pro-250528"
    assert (job.params["ratio"], job.params["duration"], job.params["resolution"]) == (
        "1:1",
        3,
        "1080p",  # the catalog's default, sent explicitly
    )


def test_what_modelark_refuses_is_invalid_input(sim_server: SimServer) -> None:
    error = refused(sim_server, "seedance-1-0-pro", "a fox", duration=20)
    assert error.code == "INVALID_INPUT" and "duration" in error.message
    error = refused(sim_server, "seedance-1-0-lite-t2v", "a fox", image=FOX)
    assert error.code == "INVALID_INPUT" and "InvalidParameter" in error.message
    error = refused(sim_server, "seedance-1-0-pro", "a fox", last_frame_image=FOX)
    assert error.code == "INVALID_INPUT"
    error = refused(sim_server, "seedance-1-0-pro", "a fox", generate_audio=True)
    assert error.code == "INVALID_INPUT" and "generate_audio" in error.message


def test_a_moderated_input_image_is_a_content_policy_violation(sim_server: SimServer) -> None:
    error = refused(sim_server, "seedance-1-0-pro", "a fox [sim:content_policy]", image=FOX)
    assert error.code == "CONTENT_POLICY_VIOLATION"
    assert "InputImageSensitiveContentDetected" in error.message


def test_statuses_map_to_the_contract(sim_server: SimServer) -> None:
    job_id = submit(sim_server, "seedance-1-0-pro", "a fox in states", image=FOX, duration=2)
    seen = poll_until(sim_server, job_id, {JobState.SUCCEEDED, JobState.FAILED})
    assert [s.state for s in seen] == [JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED]
    done = seen[-1]
    assert done.progress == 100 and len(done.outputs) == 1
    assert httpx.get(done.outputs[0].url or "", timeout=10).status_code == 200

    banned = submit(sim_server, "seedance-1-0-pro", "a fox [sim:content_policy] states")
    final = poll_until(sim_server, banned, {JobState.SUCCEEDED, JobState.FAILED})[-1]
    assert (final.state, final.error_code) == (JobState.FAILED, "CONTENT_POLICY_VIOLATION")
    assert "OutputVideoSensitiveContentDetected" in (final.error_message or "")


@pytest.mark.parametrize(
    ("marker", "error"),
    [("unknown", RetryableError), ("lost", JobNotFound), ("malformed", Malformed)],
)
def test_unknown_lost_and_malformed_answers(
    sim_server: SimServer, marker: str, error: type[Exception]
) -> None:
    job_id = submit(sim_server, "seedance-1-0-pro", f"a fox [sim:{marker}] adapter")
    if marker == "unknown":
        time.sleep(1.3)  # past the simulated run: the unknown status shows at the end
    with pytest.raises(error):
        poll(sim_server, job_id)


def test_expired_and_cancelled_tasks() -> None:
    def status(**task: Any) -> JobStatus:
        return job_status(Answer("seedance", {"id": "cgt-1", **task}))

    expired = status(status="expired")
    assert (expired.state, expired.error_code) == (JobState.FAILED, "TIMEOUT")
    assert status(status="cancelled").state is JobState.CANCELLED
    failed = status(status="failed", error={"code": "InternalServiceError", "message": "oops"})
    assert (failed.state, failed.error_code) == (JobState.FAILED, "PROVIDER_ERROR")
    with pytest.raises(Malformed):
        status(status="succeeded", content={"video_url": 3})


def test_cancel_of_a_queued_task_reaches_modelark(gateway: Gateway) -> None:
    prompt = "a fox to cancel while queued [sim:slow]"
    task = gateway.create("seedance-1-0-pro", "video", prompt, duration=2)
    gateway.wait(task["id"], until={"queued"})
    assert gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 200
    cancel = wait_for_cancel(gateway, prompt)
    assert cancel.status == 200
    job = gateway.sim.sim.store.get("seedance", cancel.key)
    assert job is not None and job.phase() is Phase.CANCELLED
    assert gateway.wait(task["id"])["status"] == "cancelled"


def test_cancel_of_a_running_task_is_refused_and_the_result_discarded(gateway: Gateway) -> None:
    prompt = "a fox to cancel while running [sim:slow]"
    task = gateway.create("seedance-1-0-pro", "video", prompt, duration=2)
    gateway.wait(task["id"], until={"running"}, timeout=30)
    assert gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 200
    cancel = wait_for_cancel(gateway, prompt)
    assert cancel.status == 400  # ModelArk cannot stop a running task: it runs on
    done = gateway.wait(task["id"])
    assert done["status"] == "cancelled" and "result" not in done and done["cost"] == 0
    cancels = [r for r in gateway.sim.sim.requests_for(prompt) if r.action == "cancel"]
    assert len(cancels) == 1  # refused once, not retried


def test_there_is_no_lookup_by_client_reference(sim_server: SimServer) -> None:
    async def use(adapter: SeedanceProvider) -> str | None:
        return await adapter.find_job("ref_anything")

    assert run_with(SeedanceProvider, sim_server, use) is None


def wait_for_cancel(gateway: Gateway, prompt: str) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        cancels = [r for r in gateway.sim.sim.requests_for(prompt) if r.action == "cancel"]
        if cancels:
            return cancels[0]
        time.sleep(0.05)
    raise AssertionError(f"no cancel reached the simulator for {prompt!r}")


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "InputTextSensitiveContentDetected", "CONTENT_POLICY_VIOLATION"),
        (400, "SensitiveContentDetected.SevereViolation", "CONTENT_POLICY_VIOLATION"),
        (400, "InvalidParameter", "INVALID_INPUT"),
        (400, "MissingParameter", "INVALID_INPUT"),
        (400, "InvalidEndpoint.ClosedEndpoint", "PROVIDER_UNAVAILABLE"),
        (403, "AccountOverdueError", "PROVIDER_UNAVAILABLE"),
        (403, "AccessDenied", "PROVIDER_UNAVAILABLE"),
        (404, "ModelNotOpen", "PROVIDER_UNAVAILABLE"),
    ],
)
def test_modelark_error_codes_map_to_the_contract(status: int, code: str, expected: str) -> None:
    adapter = SeedanceProvider(Connection("http://ark.invalid/api/v3", {"api_key": "k"}))
    error = adapter.refusal(status, {"error": {"code": code, "message": "m", "param": ""}})
    assert error is not None and error.code == expected and code in error.message
    assert adapter.refusal(401, {"error": {"code": "AuthenticationError"}}) is None  # default


def test_quota_429s_are_not_rate_limits() -> None:
    adapter = SeedanceProvider(Connection("http://ark.invalid/api/v3", {"api_key": "k"}))
    quota = adapter.refusal_429({"error": {"code": "ModelQuotaExhausted", "message": "m"}})
    assert quota is not None and quota.code == "PROVIDER_UNAVAILABLE"
    rpm = {"error": {"code": "RateLimitExceeded.EndpointRPMExceeded", "message": "m"}}
    assert adapter.refusal_429(rpm) is None and adapter.refusal_429(None) is None
