"""Failover at submit, through the gateway: a Veo task whose submit Gemini refuses (bad
credentials, a run of 5xx or 429) moves to vidgo, its fallback, and says so in `provider`; a
job Gemini accepted is never resubmitted elsewhere. Requests are counted at the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from remote_support import Gateway, SimServer, running_gateway

VEO = "veo-3.1-fast-generate-preview"


@pytest.fixture(scope="module")
def wrong_key_gateway(
    sim_server: SimServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """A gateway whose Gemini key is wrong; Veo 3.1 (not Fast) has its fallbacks turned off."""
    with running_gateway(
        sim_server,
        tmp_path_factory.mktemp("wrong-gemini-key"),
        gemini_api_key="wrong",
        fallbacks={"veo-3.1-generate-preview": []},
    ) as gw:
        yield gw


def submits(gateway: Gateway, provider: str, prompt: str) -> list[int]:
    """The HTTP statuses of `provider`'s answers to submits of `prompt`."""
    requests = gateway.sim.sim.requests
    return [
        r.status for r in requests if (r.provider, r.action, r.key) == (provider, "submit", prompt)
    ]


def polls(gateway: Gateway, provider: str, prompt: str) -> int:
    jobs = {r.job for r in gateway.sim.sim.requests if r.key == prompt and r.job}
    return sum(1 for r in gateway.sim.sim.requests if r.provider == provider and r.key in jobs)


def test_refused_credentials_fail_over_to_vidgo(wrong_key_gateway: Gateway) -> None:
    prompt = "a heron at dawn, failover on credentials"
    task = wrong_key_gateway.create(VEO, "video", prompt, duration_seconds=4)
    assert task["provider"] == "gemini"
    done = wrong_key_gateway.wait(task["id"])
    assert done["status"] == "succeeded" and done["provider"] == "vidgo", done
    assert submits(wrong_key_gateway, "gemini", prompt) == [400]  # API_KEY_INVALID, once
    assert submits(wrong_key_gateway, "vidgo", prompt) == [200]
    assert polls(wrong_key_gateway, "gemini", prompt) == 0


def test_without_a_fallback_refused_credentials_fail_the_task(wrong_key_gateway: Gateway) -> None:
    for model, task_type in (("veo-3.1-generate-preview", "video"),
                             ("gemini-2.5-flash-image", "image")):  # fmt: skip
        prompt = f"a heron at dawn, {model} with a wrong key"
        task = wrong_key_gateway.create(model, task_type, prompt)
        done = wrong_key_gateway.wait(task["id"])
        assert done["status"] == "failed" and done["provider"] == "gemini", done
        assert done["error"]["code"] == "PROVIDER_UNAVAILABLE"
        assert "credentials" in done["error"]["message"]
        assert "MEDIAGATE_GEMINI_API_KEY" in done["error"]["message"]
        assert submits(wrong_key_gateway, "vidgo", prompt) == []


@pytest.mark.parametrize(("scenario", "status"), [("server_error", 503), ("rate_limit", 429)])
def test_a_refusing_gemini_fails_over_at_once(gateway: Gateway, scenario: str, status: int) -> None:
    prompt = f"a heron at dawn, failover on {scenario} [sim:{scenario}]"
    task = gateway.create(VEO, "video", prompt, duration_seconds=4)
    done = gateway.wait(task["id"])
    assert done["status"] == "succeeded" and done["provider"] == "vidgo", done
    # One refusal from Gemini, then vidgo (whose run of failures for the prompt continues).
    assert submits(gateway, "gemini", prompt) == [status]
    assert submits(gateway, "vidgo", prompt)[-1] == 200
    assert polls(gateway, "gemini", prompt) == 0


def test_failover_in_the_sandbox(gateway: Gateway) -> None:
    task = gateway.create(VEO, "video", "a heron, sandbox [sim:server_error]", sandbox=True)
    done = gateway.wait(task["id"], sandbox=True)
    assert done["status"] == "succeeded" and done["provider"] == "vidgo" and done["cost"] == 0


def test_a_job_gemini_accepted_is_never_resubmitted(gateway: Gateway) -> None:
    prompt = "a heron at dawn, accepted then lost [sim:lost]"
    task = gateway.create(VEO, "video", prompt, duration_seconds=4)
    done = gateway.wait(task["id"])
    assert done["status"] == "failed" and done["provider"] == "gemini", done
    assert done["error"]["code"] == "PROVIDER_ERROR"
    assert submits(gateway, "gemini", prompt) == [200]
    assert submits(gateway, "vidgo", prompt) == []
