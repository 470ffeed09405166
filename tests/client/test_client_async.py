"""`AsyncClient`: the same calls, awaited, against the real gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from client_support import FAILING_VIDEO, Gateway, Recorder
from PIL import Image

from mediagate import AsyncClient, TaskCancelled, TaskFailed, TaskNotFound, WaitTimeout


def test_create_wait_download_list_cancel(gateway: Gateway, tmp_path: Path) -> None:
    key = gateway.new_key()

    async def scenario() -> None:
        async with AsyncClient(gateway.base_url, key) as client:
            made = await asyncio.gather(
                *(
                    client.tasks.create(
                        type="image",
                        model="local-image",
                        input={"prompt": f"fox {n}", "width": 40, "height": 30},
                    )
                    for n in range(3)
                )
            )
            done = await asyncio.gather(*(client.tasks.wait(t, timeout=60) for t in made))
            assert {t.status for t in done} == {"succeeded"}
            paths = await client.tasks.download(done[0], tmp_path)
            with Image.open(paths[0]) as image:
                assert image.size == (40, 30)

            listing = client.tasks.list(limit=2)
            listed = [t.id async for t in listing]
            assert sorted(listed) == sorted(t.id for t in made) and listing.total == 3
            assert {m.type for m in await client.models.list(type="image")} == {"image"}

            slow = await client.tasks.create(
                type="image", model="local-image", input={"prompt": "x", "render_seconds": 30}
            )
            with pytest.raises(WaitTimeout):
                await client.tasks.wait(slow, timeout=0.2)
            assert (await client.tasks.cancel(slow)).status == "cancelled"
            with pytest.raises(TaskCancelled):
                await client.tasks.wait(slow.id)
            failing = await client.tasks.create(
                type="video", model="local-video", input={"prompt": "x", **FAILING_VIDEO}
            )
            with pytest.raises(TaskFailed):
                await client.tasks.wait(failing, timeout=60)
            with pytest.raises(TaskNotFound):
                await client.tasks.get("task_" + "z" * 24)

    asyncio.run(scenario())


def test_async_download_refetches_expired_urls(strict_gateway: Gateway, tmp_path: Path) -> None:
    recorder = Recorder()
    key = strict_gateway.new_key()

    async def scenario() -> list[Path]:
        async with (
            recorder.async_http() as http,
            AsyncClient(strict_gateway.base_url, key, http_client=http) as c,
        ):
            task = await c.tasks.create(type="audio", model="local-audio", input={"prompt": "x"})
            task = await c.tasks.wait(task, timeout=60)
            await asyncio.sleep(2.1)
            return await c.tasks.download(task, tmp_path / "speech.wav")

    [path] = asyncio.run(scenario())
    assert path.read_bytes()[:4] == b"RIFF"
    assert [s for _, p, s in recorder.seen if p.startswith("/files/")] == [403, 200]
