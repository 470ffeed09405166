"""The official BytePlus ModelArk SDK (`byteplus-python-sdk-v2`, `Ark`) driving the simulator
over loopback: what it sends is accepted, and what the simulator answers parses into the SDK's
own types and exceptions. That is how we know the simulator speaks ModelArk's wire format."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import av
import httpx
import pytest
from byteplussdkarkruntime import Ark
from byteplussdkarkruntime._exceptions import (
    ArkAuthenticationError,
    ArkBadRequestError,
    ArkNotFoundError,
    ArkRateLimitError,
)
from byteplussdkarkruntime.types.content_generation.content_generation_task import (
    ContentGenerationTask,
)
from byteplussdkarkruntime.types.images import ImagesResponse
from PIL import Image
from remote_support import SimServer

from mediagate.simulator import SIM_CREDENTIALS

KEY = SIM_CREDENTIALS["seedance"]["api_key"]
PRO = "seedance-1-0-pro-250528"
SEEDREAM = "seedream-4-0-250828"
FOX = "https://example.com/fox.png"


@pytest.fixture
def ark(sim_server: SimServer) -> Iterator[Ark]:
    client = Ark(base_url=sim_server.base_url("seedance"), api_key=KEY, max_retries=0)
    yield client
    client.close()


def text(prompt: str) -> dict[str, Any]:
    return {"type": "text", "text": prompt}


def wait_for(ark: Ark, task_id: str, done: Callable[[str], bool]) -> ContentGenerationTask:
    deadline = time.monotonic() + 30
    while True:
        task = ark.content_generation.tasks.get(task_id=task_id)
        if done(task.status) or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


def finished(status: str) -> bool:
    return status in ("succeeded", "failed", "cancelled", "expired")


def test_text_to_video_created_polled_and_downloaded(ark: Ark) -> None:
    created = ark.content_generation.tasks.create(
        model=PRO, content=[text("a fox runs, sdk")], ratio="9:16", duration=2, resolution="480p"
    )
    assert created.id.startswith("cgt-")
    task = wait_for(ark, created.id, finished)
    assert isinstance(task, ContentGenerationTask)
    assert (task.status, task.model, task.error) == ("succeeded", PRO, None)
    assert (task.ratio, task.duration, task.resolution) == ("9:16", 2, "480p")
    assert task.usage.completion_tokens > 0 and task.created_at <= task.updated_at
    video = httpx.get(task.content.video_url, timeout=30)
    assert video.status_code == 200
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert stream.height > stream.width  # 9:16
        assert sum(1 for _ in container.decode(video=0)) > 0


def test_image_to_video_with_first_and_last_frames(ark: Ark) -> None:
    created = ark.content_generation.tasks.create(
        model="seedance-1-5-pro-251215",
        content=[
            text("the fox turns around, sdk"),
            {"type": "image_url", "image_url": {"url": FOX}, "role": "first_frame"},
            {"type": "image_url", "image_url": {"url": FOX}, "role": "last_frame"},
        ],
        generate_audio=False,
        duration=4,
    )
    task = wait_for(ark, created.id, finished)
    assert task.status == "succeeded" and task.generate_audio is False
    assert task.ratio == "16:9"  # "adaptive": the simulator pretends the image is 16:9


def test_text_commands_in_the_prompt_are_parameters_too(ark: Ark) -> None:
    created = ark.content_generation.tasks.create(
        model=PRO, content=[text("a fox, sdk commands --rt 1:1 --dur 3 --rs 480p")], duration=2
    )
    task = ark.content_generation.tasks.get(task_id=created.id)
    assert (task.ratio, task.duration, task.resolution) == ("1:1", 2, "480p")


def test_statuses_are_seen_in_order(ark: Ark) -> None:
    created = ark.content_generation.tasks.create(model=PRO, content=[text("states, sdk")])
    seen = []
    while not seen or not finished(seen[-1]):
        status = ark.content_generation.tasks.get(task_id=created.id).status
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.05)
    assert seen == ["queued", "running", "succeeded"]


def test_output_moderation_fails_the_task_with_its_code(ark: Ark) -> None:
    created = ark.content_generation.tasks.create(
        model=PRO, content=[text("a fox [sim:content_policy], sdk")]
    )
    task = wait_for(ark, created.id, finished)
    assert task.status == "failed"
    assert task.error.code == "OutputVideoSensitiveContentDetected" and task.error.message


def test_delete_cancels_a_queued_task_and_is_refused_once_it_runs(ark: Ark) -> None:
    tasks = ark.content_generation.tasks
    queued = tasks.create(model=PRO, content=[text("a slow fox [sim:slow], sdk")])
    assert tasks.delete(queued.id).id is None  # `{}`, cast to an empty task by the SDK
    assert tasks.get(task_id=queued.id).status == "cancelled"

    quick = tasks.create(model=PRO, content=[text("a quick fox, sdk delete")])
    running = wait_for(ark, quick.id, lambda status: status != "queued")
    assert running.status == "running"
    with pytest.raises(ArkBadRequestError) as refused:
        tasks.delete(quick.id)
    assert refused.value.code == "InvalidAction.TaskStatus" and refused.value.param == "id"

    done = wait_for(ark, quick.id, finished)
    assert done.status == "succeeded"  # it ran on
    tasks.delete(quick.id)  # a finished task's record is deleted
    with pytest.raises(ArkNotFoundError):
        tasks.get(task_id=quick.id)


def test_list_filters_by_ids_status_and_model(ark: Ark) -> None:
    tasks = ark.content_generation.tasks
    ids = [tasks.create(model=PRO, content=[text(f"listed fox {i}, sdk")]).id for i in range(3)]
    listed = tasks.list(task_ids=ids, page_size=2)
    assert listed.total == 3 and len(listed.items) == 2
    assert {item.id for item in listed.items} <= set(ids)
    assert isinstance(listed.items[0], ContentGenerationTask)
    second = tasks.list(task_ids=ids, page_num=2, page_size=2)
    assert {i.id for i in listed.items} | {i.id for i in second.items} == set(ids)
    queued = tasks.list(task_ids=ids, status="queued", model=PRO)
    assert all(item.status == "queued" for item in queued.items)
    assert tasks.list(task_ids=ids, model="seedance-1-0-lite-t2v-250428").total == 0


def test_an_invalid_parameter_is_refused_like_modelark(ark: Ark) -> None:
    with pytest.raises(ArkBadRequestError) as refused:
        ark.content_generation.tasks.create(model=PRO, content=[text("a fox")], duration=30)
    assert refused.value.code == "InvalidParameter" and refused.value.param == "duration"
    with pytest.raises(ArkBadRequestError) as missing:
        ark.content_generation.tasks.create(
            model="seedance-1-0-lite-i2v-250428", content=[text("no image")]
        )
    assert missing.value.code == "MissingParameter"


def test_a_bad_key_raises_the_sdks_authentication_error(sim_server: SimServer) -> None:
    ark = Ark(base_url=sim_server.base_url("seedance"), api_key="wrong", max_retries=0)
    with pytest.raises(ArkAuthenticationError) as refused:
        ark.content_generation.tasks.create(model=PRO, content=[text("a fox")])
    assert refused.value.code == "AuthenticationError" and refused.value.status_code == 401
    with pytest.raises(ArkAuthenticationError):
        ark.images.generate(model=SEEDREAM, prompt="a fox")
    ark.close()


def test_a_rate_limited_create_is_not_replayed_by_the_sdk(sim_server: SimServer) -> None:
    """The SDK retries a create on 429 unless told not to: `x-should-retry: false`."""
    ark = Ark(base_url=sim_server.base_url("seedance"), api_key=KEY, max_retries=2)
    prompt = "a fox [sim:rate_limit], sdk replay"
    with pytest.raises(ArkRateLimitError) as limited:
        ark.content_generation.tasks.create(model=PRO, content=[text(prompt)])
    assert limited.value.code == "RateLimitExceeded.EndpointRPMExceeded"
    assert sim_server.sim.count("seedance", "submit", prompt) == 1
    ark.close()


def test_seedream_generates_images_synchronously(ark: Ark) -> None:
    answer = ark.images.generate(
        model=SEEDREAM, prompt="a fox in the snow, sdk", size="2048x1152", response_format="url"
    )
    assert isinstance(answer, ImagesResponse)
    assert answer.model == SEEDREAM and answer.usage.generated_images == 1
    (item,) = answer.data
    image = Image.open(io.BytesIO(httpx.get(item.url, timeout=30).content))
    assert item.size == f"{image.width}x{image.height}" and image.format == "JPEG"
    assert image.width > image.height


def test_seedream_edits_and_series_and_base64(ark: Ark) -> None:
    from byteplussdkarkruntime.types.images import SequentialImageGenerationOptions

    answer = ark.images.generate(
        model="seedream-4-5-251128",
        prompt="the fox in three seasons, sdk",
        image=[FOX, FOX],
        sequential_image_generation="auto",
        sequential_image_generation_options=SequentialImageGenerationOptions(max_images=3),
        response_format="b64_json",
        watermark=False,
    )
    assert len(answer.data) == 3 and all(item.b64_json for item in answer.data)


def test_seedream_moderation_and_invalid_size_raise_the_sdks_errors(ark: Ark) -> None:
    with pytest.raises(ArkBadRequestError) as moderated:
        ark.images.generate(model=SEEDREAM, prompt="a fox [sim:content_policy], sdk")
    assert moderated.value.code == "InputTextSensitiveContentDetected"
    with pytest.raises(ArkBadRequestError) as invalid:
        ark.images.generate(model="seedream-4-5-251128", prompt="a fox", size="1K")
    assert invalid.value.code == "InvalidParameter" and invalid.value.param == "size"
