"""Seedream: a synchronous API behind an asynchronous gateway. The images come with the
create call's answer and ride in the job id; the key sent and checked, ModelArk's validation
and moderation mapped, a series of images, and a create never sent twice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ark_support import request, run_with
from remote_support import Gateway, SimServer

from mediagate.providers.answers import Answer
from mediagate.providers.ark.seedream import SeedreamProvider, generation_body, image_urls
from mediagate.providers.base import JobNotFound, JobState, JobStatus, ProviderError
from mediagate.providers.http import Malformed

FOX = "https://example.com/fox.png"


def generate(sim_server: SimServer, model: str, prompt: str, **kw: Any) -> JobStatus:
    """Submit, then poll the job id: the engine's two steps."""

    async def use(adapter: SeedreamProvider) -> JobStatus:
        job_id = await adapter.submit(request(model, prompt, **kw))
        assert job_id.startswith("sync:")
        return await adapter.poll(job_id)

    return run_with(SeedreamProvider, sim_server, use)


def refused(sim_server: SimServer, model: str, prompt: str, **kw: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        generate(sim_server, model, prompt, validate=False, **kw)
    return caught.value


def test_the_images_come_with_the_answer_and_ride_in_the_job_id(sim_server: SimServer) -> None:
    status = generate(sim_server, "seedream-4-0", "a fox, adapter", size="2048x1152")
    assert status.state is JobState.SUCCEEDED and status.progress == 100
    (output,) = status.outputs
    fetched = httpx.get(output.url or "", timeout=10)
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"


def test_the_request_is_modelarks_documented_body() -> None:
    assert generation_body("seedream-4-5-251128", {
        "prompt": "a fox", "image": [FOX, FOX], "size": "2K", "seed": None, "watermark": False,
        "max_images": 3,
    }) == {
        "model": "seedream-4-5-251128", "prompt": "a fox", "size": "2K",
        "response_format": "url", "watermark": False, "image": [FOX, FOX],
        "sequential_image_generation": "auto",
        "sequential_image_generation_options": {"max_images": 3},
    }  # fmt: skip
    single = generation_body("seedream-4-0-250828", {"prompt": "a fox", "image": [FOX]})
    assert single["image"] == FOX and single["sequential_image_generation"] == "disabled"


def test_a_wrong_key_is_refused_as_credentials(sim_server: SimServer) -> None:
    async def use(adapter: SeedreamProvider) -> str:
        return await adapter.submit(request("seedream-4-0", "a fox"))

    with pytest.raises(ProviderError) as caught:
        run_with(SeedreamProvider, sim_server, use, api_key="not-the-key")
    assert caught.value.code == "PROVIDER_UNAVAILABLE" and "credentials" in caught.value.message


def test_what_modelark_refuses_is_invalid_input(sim_server: SimServer) -> None:
    error = refused(sim_server, "seedream-4-5", "a fox", size="1K")
    assert error.code == "INVALID_INPUT" and "size" in error.message
    error = refused(sim_server, "seedream-4-0", "a fox", size="100x100")
    assert error.code == "INVALID_INPUT" and "size" in error.message
    error = refused(sim_server, "seedream-4-0", "a fox", image=["ftp://example.com/fox.png"])
    assert error.code == "INVALID_INPUT" and "image" in error.message


def test_a_moderated_prompt_is_a_content_policy_violation(sim_server: SimServer) -> None:
    error = refused(sim_server, "seedream-4-0", "a fox [sim:content_policy], adapter")
    assert error.code == "CONTENT_POLICY_VIOLATION"
    assert "InputTextSensitiveContentDetected" in error.message


def test_a_series_keeps_the_images_that_were_made() -> None:
    def answer(*items: dict[str, Any]) -> Answer:
        return Answer("seedream", {"model": "m", "data": list(items)})

    moderated = {"error": {"code": "OutputImageSensitiveContentDetected", "message": "no"}}
    made = {"url": "https://example.com/1.jpeg", "size": "2048x2048"}
    assert image_urls(answer(moderated, made)) == [made["url"]]
    with pytest.raises(ProviderError) as caught:
        image_urls(answer(moderated))
    assert caught.value.code == "CONTENT_POLICY_VIOLATION"
    with pytest.raises(Malformed):
        image_urls(answer())
    with pytest.raises(Malformed):
        image_urls(answer({"size": "1x1"}))


def test_a_job_id_that_carries_no_images_is_unknown(sim_server: SimServer) -> None:
    async def use(adapter: SeedreamProvider) -> JobStatus:
        return await adapter.poll("sync:{not json")

    with pytest.raises(JobNotFound):
        run_with(SeedreamProvider, sim_server, use)


def test_a_series_of_images_through_the_gateway(gateway: Gateway) -> None:
    task = gateway.create("seedream-4-0", "image", "a fox in four seasons", max_images=4)
    done = gateway.wait(task["id"])
    assert done["status"] == "succeeded", done
    assert len(done["result"]) == 4 and done["cost"] == pytest.approx(4 * 0.03)
    assert {item["format"] for item in done["result"]} == {"jpg"}


def test_the_catalog_refuses_a_size_the_model_does_not_take(gateway: Gateway) -> None:
    body = {"type": "image", "model": "seedream-4-5", "input": {"prompt": "a fox", "size": "1K"}}
    response = gateway.client().post("/api/v1/tasks", json=body)
    assert response.status_code == 400, response.text


def test_an_unreadable_answer_is_never_sent_again(gateway: Gateway) -> None:
    """The generation may have been made and billed: the task fails, not resubmitted."""
    prompt = "a fox [sim:malformed] once"
    task = gateway.create("seedream-4-0", "image", prompt)
    done = gateway.wait(task["id"])
    assert done["status"] == "failed" and done["error"]["code"] == "PROVIDER_ERROR"
    assert gateway.sim.sim.count("seedream", "submit", prompt) == 1


def test_cancel_discards_the_images(gateway: Gateway) -> None:
    """Seedream has no cancel: a task cancelled after its images were made still ends
    cancelled, with no result and no cost."""
    task = gateway.create("seedream-4-0", "image", "a fox, cancelled after the fact")
    gateway.wait(task["id"], until={"queued", "running", "succeeded"})
    response = gateway.client().post(f"/api/v1/tasks/{task['id']}/cancel")
    done = gateway.wait(task["id"])
    if response.status_code == 200:
        assert done["status"] == "cancelled" and "result" not in done and done["cost"] == 0
    else:  # the first poll came first: already succeeded
        assert response.status_code == 409 and done["status"] == "succeeded"
