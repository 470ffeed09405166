"""The official Tripo SDK (`tripo3d` 1.0.0, apiv3) drives the simulator over loopback: its
requests are accepted, and its parser reads the simulator's answers and errors. That is how we
know the simulator, and so the adapter tested against it, speak Tripo's wire format."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from remote_support import SimServer
from tripo3d import TripoAPIError, TripoClient
from tripo3d.models import TaskStatus

from mediagate.simulator import SIM_CREDENTIALS

KEY = SIM_CREDENTIALS["tripo"]["api_key"]
IMAGE = "https://example.com/fox.png"


def with_client(
    sim_server: SimServer, body: Callable[[TripoClient], Awaitable[Any]], key: str = KEY
) -> Any:
    async def run() -> Any:
        async with TripoClient(api_key=key, v3_base_url=sim_server.url) as client:
            return await body(client)

    return asyncio.run(run())


def test_text_to_model_waits_and_downloads(sim_server: SimServer, tmp_path: Path) -> None:
    async def body(client: TripoClient) -> tuple[Any, Any, dict[str, Any]]:
        task_id = await client.text_to_model(prompt="a wooden chair")
        first = await client.get_task(task_id)
        done = await client.wait_for_task(task_id, polling_interval=0.2, timeout=30)
        files = await client.download_task_models(done, str(tmp_path))
        return first, done, files

    first, done, files = with_client(sim_server, body)
    assert first.status is TaskStatus.QUEUED and first.progress == 0
    assert first.queuing_num >= 1 and first.running_left_time > 0
    assert done.status is TaskStatus.SUCCESS and done.progress == 100
    assert done.type == "text_to_model" and done.credits_consumed == 20
    assert done.queuing_num == -1 and done.running_left_time == -1
    assert done.input == {"prompt": "a wooden chair", "model": "v2.5-20250123"}
    assert Path(files["model"]).read_bytes()[:4] == b"glTF"
    assert Path(files["rendered_image"]).read_bytes()[8:12] == b"WEBP"


def test_only_non_default_parameters_are_sent_and_accepted(sim_server: SimServer) -> None:
    async def body(client: TripoClient) -> Any:
        task_id = await client.text_to_model(
            prompt="a lamp", model_version="v3.0-20250812", texture=False, pbr=False, model_seed=7
        )
        return await client.wait_for_task(task_id, polling_interval=0.2, timeout=30)

    done = with_client(sim_server, body)
    assert done.status is TaskStatus.SUCCESS and done.credits_consumed == 10
    job = sim_server.sim.store.get("tripo", done.task_id)
    assert job is not None
    assert job.params == {
        "prompt": "a lamp",
        "model": "v3.0-20250812",
        "texture": False,
        "pbr": False,
        "model_seed": 7,
    }


def test_image_to_model_from_a_url(sim_server: SimServer) -> None:
    async def body(client: TripoClient) -> Any:
        task_id = await client.image_to_model(image=IMAGE)
        return await client.wait_for_task(task_id, polling_interval=0.2, timeout=30)

    done = with_client(sim_server, body)
    assert done.status is TaskStatus.SUCCESS and done.type == "image_to_model"
    assert done.input == {"input": IMAGE, "model": "v2.5-20250123"}
    assert done.output.model_url and done.output.model_url == done.output.pbr_model
    assert done.credits_consumed == 30


def test_batch_lookup(sim_server: SimServer) -> None:
    async def body(client: TripoClient) -> Any:
        task_id = await client.text_to_model(prompt="a teapot")
        return task_id, await client.list_tasks([task_id, "no-such-task"])

    task_id, batch = with_client(sim_server, body)
    assert set(batch.tasks) == {task_id} and batch.missed == ["no-such-task"]
    assert batch.tasks[task_id].status in (TaskStatus.QUEUED, TaskStatus.RUNNING)


@pytest.mark.parametrize(
    ("key", "call", "code"),
    [
        ("tsk_not-a-key", lambda c: c.text_to_model(prompt="a cup"), 1002),
        ("tsk_not-a-key", lambda c: c.get_task("some-task"), 1002),
        (KEY, lambda c: c.text_to_model(prompt="a cup", model_version="v9.9-20990101"), 1004),
        (KEY, lambda c: c.text_to_model(prompt="a cup", face_limit=0), 1004),
        (KEY, lambda c: c.image_to_model(image="not-an-image"), 1004),
        (KEY, lambda c: c.text_to_model(prompt="a cup [sim:content_policy]"), 2008),
        ("tsk_sim-tripo-no-credits", lambda c: c.text_to_model(prompt="a cup"), 2010),
        (KEY, lambda c: c.get_task("no-such-task"), 2001),
    ],
    ids=[
        "bad-key-create",
        "bad-key-get",
        "model",
        "face-limit",
        "image",
        "policy",
        "credits",
        "unknown-task",
    ],
)
def test_errors_parse_into_the_sdk_exception(
    sim_server: SimServer, key: str, call: Callable[[TripoClient], Awaitable[Any]], code: int
) -> None:
    with pytest.raises(TripoAPIError) as raised:
        with_client(sim_server, call, key=key)
    assert raised.value.code == code
    assert raised.value.message and raised.value.suggestion


def test_a_task_is_visible_to_its_own_key_only(sim_server: SimServer) -> None:
    task_id = with_client(sim_server, lambda c: c.text_to_model(prompt="a private vase"))
    with pytest.raises(TripoAPIError) as raised:
        with_client(sim_server, lambda c: c.get_task(task_id), key="tsk_sim-tripo-no-credits")
    assert raised.value.code == 2001


def test_a_get_refused_with_429_is_retried_after_retry_after(sim_server: SimServer) -> None:
    """The SDK never replays a create (it would bill twice), but retries a GET on 429 after
    the `Retry-After` the simulator sends; the run of 429s ends and the task is read."""
    prompt = "a stool [sim:rate_limit]"

    async def body(client: TripoClient) -> Any:
        for _ in range(2):  # the run of refusals of this prompt's creates
            with pytest.raises(TripoAPIError) as raised:
                await client.text_to_model(prompt=prompt)
            assert raised.value.code == 2000
        task_id = await client.text_to_model(prompt=prompt)
        return await client.get_task(task_id)

    task = with_client(sim_server, body)
    assert task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.SUCCESS)
    polls = [r.status for r in sim_server.sim.requests if r.key == task.task_id]
    assert polls == [429, 429, 200]
    submits = [r.status for r in sim_server.sim.requests if r.key == prompt]
    assert submits == [429, 429, 200]


def test_banned_and_unknown_statuses_parse(sim_server: SimServer) -> None:
    """A banned image-to-model task ends `banned` (terminal); `unknown` is not terminal."""

    async def body(client: TripoClient) -> tuple[Any, Any]:
        banned = await client.image_to_model(image=IMAGE, prompt="[sim:content_policy]")
        unknown = await client.text_to_model(prompt="a jug [sim:unknown]")
        done = await client.wait_for_task(banned, polling_interval=0.2, timeout=30)
        for _ in range(100):  # `unknown` is not final: wait_for_task would wait on
            task = await client.get_task(unknown)
            if task.progress == 100:
                break
            await asyncio.sleep(0.2)
        return done, task

    banned, unknown = with_client(sim_server, body)
    assert banned.status is TaskStatus.BANNED and banned.is_terminal()
    assert unknown.status is TaskStatus.UNKNOWN and not unknown.is_terminal()
