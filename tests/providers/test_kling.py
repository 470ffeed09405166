"""Kling specifics, over loopback against the simulator: the per-request JWT (and the simulator
refusing bad ones with Kling's codes), Kling's refusals and their mapping, the wire body, and
`find_job` by `external_task_id` reconciling a submit whose answer was lost. Kling publishes no
Python SDK, so the simulator and these tests are the wire check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import jwt
import pytest
from remote_support import Gateway, SimServer

from mediagate.catalog import CATALOG
from mediagate.providers.base import JobState, JobStatus, ProviderError, SubmitRequest
from mediagate.providers.http import OutcomeUnknown
from mediagate.providers.kling import KlingProvider, auth
from mediagate.providers.kling.errors import error_for
from mediagate.providers.remote import Connection
from mediagate.simulator import SIM_CREDENTIALS

T = TypeVar("T")
KEYS = SIM_CREDENTIALS["kling"]
AK, SK = KEYS["access_key"], KEYS["secret_key"]


def with_kling(
    sim_server: SimServer,
    use: Callable[[KlingProvider], Awaitable[T]],
    timeout_s: float = 5,
    **credentials: str,
) -> T:
    """Run `use` with a Kling adapter pointed at the simulator."""

    async def run() -> T:
        connection = Connection(
            sim_server.base_url("kling"), {**KEYS, **credentials}, timeout_s=timeout_s
        )
        kling = KlingProvider(connection)
        try:
            return await use(kling)
        finally:
            await kling.aclose()

    return asyncio.run(run())


def request(model: str, prompt: str, ref: str, **fields: Any) -> SubmitRequest:
    spec = CATALOG.get(model)
    assert spec is not None
    return SubmitRequest("task_x", spec, spec.input_model(prompt=prompt, **fields).model_dump(),
                         ref)  # fmt: skip


def call(sim_server: SimServer, method: str, path: str, token: str | None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, sim_server.url + path, headers=headers, timeout=10, **kw)


def signed(**claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"iss": AK, "exp": now + 1800, "nbf": now - 5, **claims}, SK, "HS256")


def test_the_token_is_the_official_samples() -> None:
    token = auth.token(AK, SK, now=1_700_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SK, algorithms=["HS256"], options={"verify_exp": False,
                                                                 "verify_nbf": False})  # fmt: skip
    assert claims == {"iss": AK, "exp": 1_700_001_800, "nbf": 1_699_999_995}


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (lambda: None, 1001),  # no Authorization header
        (lambda: "not-a-jwt", 1002),
        (lambda: signed(exp=int(time.time()) - 60), 1004),
        (lambda: signed(nbf=int(time.time()) + 600), 1003),
        (lambda: signed(iss="someone-else"), 1000),
        (lambda: jwt.encode({"iss": AK, "exp": int(time.time()) + 60}, "x" * 32, "HS256"), 1000),
    ],
    ids=["empty", "invalid", "expired", "not-yet-valid", "unknown-issuer", "wrong-secret"],
)
def test_the_simulator_checks_the_jwt_as_kling_does(
    sim_server: SimServer, token: Callable[[], str | None], code: int
) -> None:
    # Made when the test runs, not when the suite is collected: a suite longer than the
    # tokens' 60 s / 10 min windows would otherwise test other errors.
    answer = call(sim_server, "GET", "/v1/videos/text2video/123", token())
    assert answer.status_code == 401
    assert answer.json()["code"] == code and set(answer.json()) == {"code", "message", "request_id"}


def test_a_wrong_secret_is_refused_as_credentials(sim_server: SimServer) -> None:
    async def submit(kling: KlingProvider) -> str:
        return await kling.submit(request("kling-v2-6", "a fox", "ref_wrong_secret"))

    with pytest.raises(ProviderError) as refused:
        with_kling(sim_server, submit, secret_key="not-the-secret-key-but-long-enough")
    assert refused.value.code == "PROVIDER_UNAVAILABLE"
    assert "credentials" in refused.value.message and "code 1000" in refused.value.message


def test_requests_kling_refuses_are_refused_the_same_way(sim_server: SimServer) -> None:
    token = signed()
    body = {"model_name": "kling-v2-6", "prompt": "a fox"}
    as_int = call(sim_server, "POST", "/v1/videos/text2video", token, json={**body, "duration": 5})
    assert as_int.status_code == 400 and as_int.json()["code"] == 1201
    data_uri = call(sim_server, "POST", "/v1/videos/image2video", token,
                    json={**body, "image": "data:image/png;base64,iVBORw0KGgo="})  # fmt: skip
    assert data_uri.status_code == 400 and "data:" in data_uri.json()["message"]
    no_sound = call(sim_server, "POST", "/v1/videos/text2video", token,
                    json={**body, "model_name": "kling-v2-1-master", "sound": "on"})  # fmt: skip
    assert no_sound.json()["code"] == 1201

    async def submit(kling: KlingProvider) -> str:  # past the gateway's own schema
        spec = CATALOG.get("kling-v2-6")
        assert spec is not None
        fields = {"prompt": "a fox", "duration": 5, "mode": "ultra"}
        return await kling.submit(SubmitRequest("task_x", spec, fields, "ref_invalid"))

    with pytest.raises(ProviderError) as refused:
        with_kling(sim_server, submit)
    assert refused.value.code == "INVALID_INPUT" and "mode" in refused.value.message


def test_wire_body_and_statuses(sim_server: SimServer) -> None:
    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGAAAA"
        "AEAAH2FzhVAAAAAElFTkSuQmCC"
    )

    async def run(kling: KlingProvider) -> tuple[str, list[JobStatus]]:
        job = await kling.submit(request("kling-v2-6", "the fox turns", "ref_i2v", image=png,
                                         duration=10, sound=True))  # fmt: skip
        seen = [await kling.poll(job)]
        while seen[-1].state in (JobState.QUEUED, JobState.RUNNING):
            await asyncio.sleep(0.05)
            seen.append(await kling.poll(job))
        return job, seen

    job, seen = with_kling(sim_server, run)
    kind, _, task_id = job.partition(":")
    assert kind == "image2video"
    states = [s.state for s in seen]
    assert states[0] is JobState.QUEUED and states[-1] is JobState.SUCCEEDED
    assert states == sorted(states, key=[JobState.QUEUED, JobState.RUNNING,
                                         JobState.SUCCEEDED].index)  # fmt: skip
    answer = call(sim_server, "GET", f"/v1/videos/image2video/{task_id}", signed()).json()
    assert answer["code"] == 0 and answer["data"]["task_status"] == "succeed"
    assert answer["data"]["task_info"] == {"external_task_id": "ref_i2v"}
    video = answer["data"]["task_result"]["videos"][0]
    assert video["duration"] == "10.000"  # `duration` went out as the string "10"
    # A task is queried at its own kind's path only.
    elsewhere = call(sim_server, "GET", f"/v1/videos/text2video/{task_id}", signed())
    assert elsewhere.status_code == 404


def test_find_job_by_external_task_id(sim_server: SimServer) -> None:
    async def run(kling: KlingProvider) -> tuple[str, str | None, str | None]:
        job = await kling.submit(request("kling-v2-1-image", "two foxes", "ref_find", n=2))
        return job, await kling.find_job("ref_find"), await kling.find_job("ref_never_sent")

    job, found, missing = with_kling(sim_server, run)
    assert job.startswith("image:") and found == job and missing is None
    # The documented list endpoint also answers a query by external_task_id.
    listed = call(sim_server, "GET", "/v1/images/generations", signed(),
                  params={"external_task_id": "ref_find"}).json()  # fmt: skip
    assert f"image:{listed['data']['task_id']}" == job
    page = call(sim_server, "GET", "/v1/images/generations", signed(),
                params={"pageNum": 1, "pageSize": 500}).json()  # fmt: skip
    assert job.partition(":")[2] in [t["task_id"] for t in page["data"]]


def test_a_second_submit_with_the_same_reference_is_the_first_job(sim_server: SimServer) -> None:
    """Kling refuses a repeated external_task_id; the adapter answers with the job it names."""

    async def run(kling: KlingProvider) -> tuple[str, str]:
        first = await kling.submit(request("kling-v2-6", "a fox sent twice", "ref_twice"))
        return first, await kling.submit(request("kling-v2-6", "a fox sent twice", "ref_twice"))

    first, second = with_kling(sim_server, run)
    assert first == second
    submits = [r for r in sim_server.sim.requests if r.key == "a fox sent twice"]
    assert [(r.action, r.status) for r in submits] == [("submit", 200), ("submit", 400)]


def test_a_lost_submit_answer_is_found_again_not_resubmitted(sim_server: SimServer) -> None:
    """The simulator creates the job and never answers the submit; the adapter finds it by the
    external_task_id it sent."""
    prompt = "a fox whose submit answer is lost [sim:hang_submit]"

    async def run(kling: KlingProvider) -> str | None:
        with pytest.raises(OutcomeUnknown):
            await kling.submit(request("kling-v2-6", prompt, "ref_hang"))
        return await kling.find_job("ref_hang")

    found = with_kling(sim_server, run, timeout_s=1.0)
    submits = [r for r in sim_server.sim.requests if r.action == "submit" and r.key == prompt]
    assert len(submits) == 1 and found == f"text2video:{submits[0].job}"


def test_the_gateway_reconciles_a_lost_submit_into_the_same_job(gateway: Gateway) -> None:
    prompt = "a fox through the gateway, submit answer lost [sim:hang_submit]"
    task = gateway.create("kling-v2-6", "video", prompt)
    done = gateway.wait(task["id"])
    assert done["status"] == "succeeded", done
    requests = gateway.sim.sim.requests_for(prompt)
    submits = [r for r in requests if r.action == "submit"]
    assert len(submits) == 1  # never submitted twice
    finds = [r for r in requests if r.action == "find"]
    assert [r.status for r in finds] == [200] and finds[0].key == submits[0].job


def test_service_codes_map_to_contract_codes() -> None:
    assert error_for(1004, "expired").code == "PROVIDER_UNAVAILABLE"
    assert error_for(1102, "resource pack depleted").code == "PROVIDER_UNAVAILABLE"
    assert error_for(1103, "no permission").code == "PROVIDER_UNAVAILABLE"
    assert error_for(1301, "content safety").code == "CONTENT_POLICY_VIOLATION"
    assert error_for(1303, "parallel task over resource pack limit").retryable
    assert error_for(1201, "bad value").code == "INVALID_INPUT"
    assert error_for(5001, "maintenance").retryable


def test_an_exhausted_balance_answered_with_429_is_not_a_rate_limit() -> None:
    kling = KlingProvider(Connection("https://kling.invalid", KEYS))
    depleted = kling.refusal_429({"code": 1102, "message": "resource pack depleted"})
    assert depleted is not None and depleted.code == "PROVIDER_UNAVAILABLE"
    assert kling.refusal_429({"code": 1302, "message": "rate limit"}) is None  # RateLimited
    assert kling.supports_cancel is False  # Kling documents no cancel
