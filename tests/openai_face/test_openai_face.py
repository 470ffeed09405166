"""The OpenAI-compatible face through the official `openai` SDK, against a real server (API and
engine, on each database) over loopback: videos, images, errors, isolation, the sandbox."""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import httpx
import openai
import orjson
import pytest
from openai import OpenAI
from sqlalchemy import select, update

from helpers import serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.billing import service as billing
from mediagate.catalog import CATALOG
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url

PNG = b"\x89PNG\r\n\x1a\n"

# The SDK marks its Videos API deprecated (OpenAI's Sora API); ours is not going anywhere.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")


def _new_key(url: str, *, test: bool = False, credits: int | None = None) -> str:
    async def make() -> str:
        db = Database(parse_database_url(url))
        try:
            name = f"oai-{secrets.token_hex(5)}"
            created = await accounts.create_key(db, account=name, test=test)
            if credits is not None:
                await billing.grant(db, name, credits, "test credits")
            return created.secret
        finally:
            await db.close()

    return asyncio.run(make())


def _strip_thumbnails(url: str, task_id: str) -> None:
    async def strip() -> None:
        db = Database(parse_database_url(url))
        try:
            async with db.write() as conn:
                stored = (
                    await conn.execute(select(tasks.c.result).where(tasks.c.id == task_id))
                ).scalar_one()
                items = [
                    {k: v for k, v in item.items() if not k.startswith("thumbnail")}
                    for item in orjson.loads(stored)
                ]
                await conn.execute(
                    update(tasks)
                    .where(tasks.c.id == task_id)
                    .values(result=orjson.dumps(items).decode())
                )
        finally:
            await db.close()

    asyncio.run(strip())


def _client(base_url: str, key: str) -> OpenAI:
    return OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=60)


@pytest.fixture
def client(engine_live) -> Iterator[OpenAI]:
    with _client(engine_live.base_url, _new_key(engine_live.url)) as made:
        yield made


def _poll(client: OpenAI, video_id: str, timeout: float = 60) -> openai.types.Video:
    import time

    deadline = time.monotonic() + timeout
    while True:
        video = client.videos.retrieve(video_id)
        if video.status in ("completed", "failed") or time.monotonic() > deadline:
            return video
        time.sleep(0.2)


def test_video_create_poll_download(engine_live, client: OpenAI) -> None:
    video = client.videos.create_and_poll(
        model="local-video", prompt="a red fox", seconds="4", size="640x360", poll_interval_ms=200
    )
    assert video.status == "completed", video
    assert (video.object, video.model, video.seconds, video.size, video.prompt) == (
        "video",
        "local-video",
        "4",
        "640x360",
        "a red fox",
    )
    assert video.progress == 100 and video.error is None
    assert video.completed_at >= video.created_at
    assert video.expires_at == video.completed_at + 7 * 86400

    content = client.videos.download_content(video.id)
    data = content.read()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
    assert frames >= 24 * 4 - 2

    # The same task on the native API; Range reads of the content.
    key = client.api_key
    with httpx.Client(
        base_url=engine_live.base_url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        task = http.get(f"/api/v1/tasks/{video.id}").json()["data"]
        assert (task["type"], task["status"], task["input"]["duration"]) == (
            "video",
            "succeeded",
            4,
        )
        ranged = http.get(f"/v1/videos/{video.id}/content", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and ranged.content == data[:100]
        assert ranged.headers["content-type"] == "video/mp4"
        polled = http.get(f"/v1/videos/{video.id}")
        assert "openai-poll-after-ms" not in polled.headers  # final: nothing to poll for

    # The thumbnail: the WebP preview the gateway stored beside the video.
    raw = client.videos.with_raw_response.download_content(video.id, variant="thumbnail")
    assert raw.headers["content-type"] == "image/webp"
    from PIL import Image

    with Image.open(io.BytesIO(raw.content)) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) <= 320

    # A result stored before previews existed has none: 404 in OpenAI's shape.
    _strip_thumbnails(engine_live.url, video.id)
    with pytest.raises(openai.NotFoundError) as missing:
        client.videos.download_content(video.id, variant="thumbnail")
    assert missing.value.body["type"] == "invalid_request_error"
    assert client.videos.download_content(video.id).read() == data


def test_unfinished_video_reads_suggest_a_poll_interval(engine_live, client: OpenAI) -> None:
    raw = client.videos.with_raw_response.create(model="local-video", prompt="waves", seconds="8")
    video = raw.parse()
    assert video.status in ("queued", "in_progress")
    assert int(raw.headers["openai-poll-after-ms"]) > 0
    assert _poll(client, video.id).status == "completed"


def test_list_pages_in_both_orders_and_the_native_api_shares_tasks(engine_live) -> None:
    key = _new_key(engine_live.url)
    with (
        _client(engine_live.base_url, key) as client,
        httpx.Client(
            base_url=engine_live.base_url, headers={"Authorization": f"Bearer {key}"}
        ) as http,
    ):
        ids = [
            client.videos.create(model="local-video", prompt=f"clip {i}", seconds="1").id
            for i in range(3)
        ]
        native = http.post(
            "/api/v1/tasks",
            json={
                "type": "video",
                "model": "local-video",
                "input": {"prompt": "native", "duration": 2},
            },
        ).json()["data"]
        ids.append(native["id"])
        # Not a video: never on /v1/videos.
        http.post(
            "/api/v1/tasks",
            json={"type": "image", "model": "local-image", "input": {"prompt": "x"}},
        )

        assert [v.id for v in client.videos.list(limit=2)] == ids[::-1]
        assert [v.id for v in client.videos.list(limit=3, order="asc")] == ids
        first = client.videos.list(limit=2, order="asc")
        assert (first.has_more, first.first_id, first.last_id) == (True, ids[0], ids[1])
        after = client.videos.list(limit=10, order="asc", after=ids[1])
        assert [v.id for v in after.data] == ids[2:] and after.has_more is False
        listed = {v.id: v for v in client.videos.list(limit=10)}
        assert listed[native["id"]].seconds == "2" and listed[native["id"]].prompt == "native"
        # Videos made here are tasks there.
        native_ids = {t["id"] for t in http.get("/api/v1/tasks?limit=100").json()["data"]}
        assert set(ids) <= native_ids
        with pytest.raises(openai.BadRequestError) as bad:
            client.videos.list(limit=0)
        assert bad.value.body["param"] == "limit"


def test_delete_cancels_and_removes_files(engine_live, client: OpenAI) -> None:
    done = client.videos.create_and_poll(
        model="local-video", prompt="gone", seconds="1", poll_interval_ms=200
    )
    assert done.status == "completed"
    deleted = client.videos.delete(done.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (done.id, "video.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(done.id)

    running = client.videos.create(
        model="local-video", prompt="stop", seconds="30", size="1280x720"
    )
    assert client.videos.delete(running.id).deleted is True
    after = client.videos.retrieve(running.id)
    assert after.status == "failed" and after.error.code == "cancelled"


def test_images_generate_urls_and_b64(engine_live, client: OpenAI) -> None:
    made = client.images.generate(model="local-image", prompt="a fox", n=2, size="256x256")
    assert len(made.data) == 2 and made.created > 0
    for image in made.data:
        assert image.url and image.b64_json is None
        assert httpx.get(image.url, timeout=30).content[:8] == PNG
    inline = client.images.generate(
        model="local-image", prompt="a fox", size="64x32", response_format="b64_json"
    )
    [image] = inline.data
    raw = base64.b64decode(image.b64_json)
    assert raw[:8] == PNG
    from PIL import Image

    assert Image.open(io.BytesIO(raw)).size == (64, 32)


def test_errors_in_openai_shape(engine_live, client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.videos.create(model="no-such-model", prompt="x")
    assert exc.value.body["param"] == "model" and exc.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as exc:
        client.videos.create(model="local-image", prompt="x")
    assert exc.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as exc:
        client.videos.create(model="local-video", prompt="x", size="big")
    assert exc.value.body["param"] == "size"
    with pytest.raises(openai.BadRequestError) as exc:
        client.videos.create(model="local-video", prompt="x", seconds="120")
    assert exc.value.body["param"] == "seconds"
    with pytest.raises(openai.BadRequestError) as exc:
        client.images.generate(model="local-video", prompt="x")
    assert exc.value.body["param"] == "model"
    with pytest.raises(openai.NotFoundError) as nf:
        client.videos.retrieve("task_doesnotexist0000")
    assert nf.value.body["code"] == "not_found"
    with (
        _client(engine_live.base_url, "mg_live_wrong") as bad,
        pytest.raises(openai.AuthenticationError) as auth,
    ):
        bad.videos.list()
    assert auth.value.body["type"] == "authentication_error"

    # Insufficient credits: 402.
    with (
        _client(engine_live.base_url, _new_key(engine_live.url, credits=1)) as poor,
        pytest.raises(openai.APIStatusError) as paid,
    ):
        poor.videos.create(model="local-video", prompt="x", seconds="4")
    assert paid.value.status_code == 402 and paid.value.body["code"] == "insufficient_credits"

    with httpx.Client(base_url=engine_live.base_url) as http:
        # Unknown routes under /v1 in OpenAI's shape; the native API keeps its envelope.
        missing = http.get("/v1/nothing-here")
        assert missing.status_code == 404 and set(missing.json()["error"]) == {
            "message",
            "type",
            "param",
            "code",
        }
        native = http.get("/api/v1/tasks")
        assert native.status_code == 401 and native.json()["success"] is False


@contextmanager
def _api_only(folder: Path, **extra: object) -> Iterator[tuple[str, str]]:
    """A server without workers on its own new database: (its URL, the database URL)."""
    url = f"sqlite:///{folder}/api-only.db"
    upgrade(parse_database_url(url))
    settings = Settings(database_url=url, data_dir=folder, workers=0, **extra)
    server, thread, base_url = serve_app(create_app(settings))
    try:
        yield base_url, url
    finally:
        server.should_exit = True
        thread.join(10)


def test_rate_limit_is_a_rate_limit_error(tmp_path: Path) -> None:
    with (
        _api_only(tmp_path, rate_limit_per_minute=2) as (base_url, url),
        _client(base_url, _new_key(url)) as limited,
    ):
        limited.videos.list()
        limited.videos.list()
        with pytest.raises(openai.RateLimitError) as exc:
            limited.videos.list()
    assert int(exc.value.response.headers["retry-after"]) >= 1
    assert exc.value.body["type"] == "rate_limit_error"


def test_images_not_ready_in_time_name_their_tasks(tmp_path: Path) -> None:
    with _api_only(tmp_path, openai_images_wait_seconds=0.5) as (base_url, url):
        key = _new_key(url)
        with (
            OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=2) as client,
            pytest.raises(openai.InternalServerError) as exc,
        ):
            client.images.generate(model="local-image", prompt="slow", n=2)
        assert exc.value.status_code == 504
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as http:
            made = [t["id"] for t in http.get("/api/v1/tasks").json()["data"]]
    assert len(made) == 2  # no retry by the SDK: it would have made more tasks
    assert all(task_id in exc.value.message for task_id in made)


def test_isolation_and_sandbox(engine_live, client: OpenAI) -> None:
    mine = client.videos.create(model="local-video", prompt="mine", seconds="1")
    with _client(engine_live.base_url, _new_key(engine_live.url)) as stranger:
        for call in (
            lambda: stranger.videos.retrieve(mine.id),
            lambda: stranger.videos.delete(mine.id),
            lambda: stranger.videos.download_content(mine.id),
        ):
            with pytest.raises(openai.NotFoundError):
                call()
        assert mine.id not in [v.id for v in stranger.videos.list()]

    # A live key cannot reach an unconfigured provider; a sandbox key runs it on the simulator.
    with pytest.raises(openai.BadRequestError) as exc:
        client.videos.create(model="veo-3.1-fast-generate-preview", prompt="x", seconds="4")
    assert exc.value.body["param"] == "model"
    with _client(engine_live.base_url, _new_key(engine_live.url, test=True)) as sandbox:
        with pytest.raises(openai.BadRequestError) as exc:
            sandbox.videos.create(model="veo-3.1-fast-generate-preview", prompt="x", seconds="5")
        assert exc.value.body["param"] == "seconds" and "4, 6, 8" in exc.value.body["message"]
        with pytest.raises(openai.BadRequestError) as exc:
            sandbox.videos.create(
                model="veo-3.1-fast-generate-preview", prompt="x", size="1000x1000"
            )
        assert exc.value.body["param"] == "size"
        video = sandbox.videos.create(
            model="veo-3.1-fast-generate-preview", prompt="a fox", seconds="8", size="720x1280"
        )
        assert (video.seconds, video.size) == ("8", "720x1280")
        video = _poll(sandbox, video.id)
        assert video.status == "completed", video
        assert len(sandbox.videos.download_content(video.id).read()) > 0
        assert mine.id not in [v.id for v in sandbox.videos.list()]


def test_input_reference_upload(engine_live) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()
    key = _new_key(engine_live.url, test=True)
    with _client(engine_live.base_url, key) as sandbox:
        video = sandbox.videos.create(
            model="seedance-1-0-pro",
            prompt="the red square moves",
            seconds="5",
            size="1280x720",
            input_reference=("ref.png", png, "image/png"),
        )
        with pytest.raises(openai.BadRequestError) as exc:
            sandbox.videos.create(
                model="seedance-1-0-pro",
                prompt="x",
                input_reference=("ref.png", b"not an image", "image/png"),
            )
        assert exc.value.body["param"] == "input_reference"
        with pytest.raises(openai.BadRequestError) as exc:
            sandbox.videos.create(
                model="local-video", prompt="x", input_reference=("ref.png", png, "image/png")
            )
        assert exc.value.body["param"] == "input_reference"
        assert _poll(sandbox, video.id).status == "completed"
    with httpx.Client(
        base_url=engine_live.base_url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        task = http.get(f"/api/v1/tasks/{video.id}").json()["data"]
    expected = "data:image/png;base64," + base64.b64encode(png).decode()
    assert task["input"]["image"] == expected
    assert (task["input"]["duration"], task["input"]["ratio"], task["input"]["resolution"]) == (
        5,
        "16:9",
        "720p",
    )


def test_json_create_and_content_of_an_unfinished_video(engine_live) -> None:
    key = _new_key(engine_live.url)
    with httpx.Client(
        base_url=engine_live.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        made = http.post(
            "/v1/videos",
            json={"model": "local-video", "prompt": "json", "seconds": 8, "size": "320x180"},
        )
        assert made.status_code == 200, made.text
        video = made.json()
        assert (video["seconds"], video["size"], video["status"]) == ("8", "320x180", "queued")
        early = http.get(f"/v1/videos/{video['id']}/content")
        assert early.status_code == 404 and early.json()["error"]["code"] == "not_found"
        broken = http.post(
            "/v1/videos", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400 and broken.json()["error"]["param"] == "body"
        unknown = http.post("/v1/videos", json={"model": "local-video", "prompt": "x", "fps": 3})
        assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "fps"
        bad_order = http.get("/v1/videos", params={"order": "sideways"})
        assert bad_order.status_code == 400 and bad_order.json()["error"]["param"] == "order"


def test_sandbox_images_with_a_count_field_and_oversized_references(engine_live) -> None:
    with _client(engine_live.base_url, _new_key(engine_live.url, test=True)) as sandbox:
        made = sandbox.images.generate(
            model="seedream-4-0", prompt="two foxes", n=2, response_format="b64_json"
        )
        assert len(made.data) == 2
        assert all(
            base64.b64decode(image.b64_json)[:3] in (PNG[:3], b"\xff\xd8\xff")
            for image in made.data
        )
        with pytest.raises(openai.BadRequestError) as exc:
            sandbox.images.generate(model="kling-v2-1-image", prompt="too many", n=10)
        assert exc.value.body["param"] == "n"
        with pytest.raises(openai.APIStatusError) as big:
            sandbox.videos.create(
                model="seedance-1-0-pro",
                prompt="x",
                input_reference=("ref.png", PNG + b"\0" * (10 * 1024 * 1024), "image/png"),
            )
        assert big.value.status_code == 413 and set(big.value.body) >= {"message", "type"}


_REMOTE_VIDEO_MODELS = sorted(
    spec.id for spec in CATALOG if spec.type == "video" and spec.provider != "local"
)


@pytest.mark.slow
@pytest.mark.parametrize("model", _REMOTE_VIDEO_MODELS)
def test_a_sandbox_key_reaches_every_remote_video_model(engine_live, model) -> None:
    """Each remote provider's video models through this face, on the simulator: created with
    the model's defaults, completed, its video and thumbnail downloadable."""
    with _client(engine_live.base_url, _new_key(engine_live.url, test=True)) as sandbox:
        video = _poll(sandbox, sandbox.videos.create(model=model, prompt="a red fox").id)
        assert video.status == "completed", video
        assert video.model == model
        content = sandbox.videos.download_content(video.id).read()
        with av.open(io.BytesIO(content)) as container:
            assert container.streams.video, model
        thumbnail = sandbox.videos.download_content(video.id, variant="thumbnail").read()
        assert thumbnail[:4] == b"RIFF" and thumbnail[8:12] == b"WEBP"


_IMAGE_MODELS = sorted(spec.id for spec in CATALOG if spec.type == "image")


@pytest.mark.slow
@pytest.mark.parametrize("model", _IMAGE_MODELS)
def test_a_sandbox_key_generates_with_every_image_model(engine_live, model) -> None:
    """`images.generate` with every image model of the catalog (remote ones on the simulator):
    the images come back as URLs that download as images."""
    from PIL import Image

    with _client(engine_live.base_url, _new_key(engine_live.url, test=True)) as sandbox:
        made = sandbox.images.generate(model=model, prompt="a red fox", response_format="url")
        assert made.data, model
        for image in made.data:
            body = httpx.get(image.url, timeout=30)
            assert body.status_code == 200, model
            with Image.open(io.BytesIO(body.content)) as decoded:
                assert decoded.size[0] > 0
