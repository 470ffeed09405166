"""Copying remote outputs into storage: streamed over real HTTP, size-capped, type-checked,
measured from the bytes, transient failures retryable and final ones clear."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from helpers import serve_app
from mediagate.engine.collect import ResultUnavailable, collect
from mediagate.media.glb import pack_glb
from mediagate.providers import JobOutput, RetryableError
from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import URLSigner
from mediagate.tasks.results import ResultLinks


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buf, format="PNG")
    return buf.getvalue()


def _wav(seconds: float) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return buf.getvalue()


CALLS: dict[str, int] = {}


async def _serve(request):
    name = request.path_params["name"]
    CALLS[name] = CALLS.get(name, 0) + 1
    if name == "image.png":
        if request.headers.get("authorization") != "Bearer s3cret":
            return Response(status_code=401)
        return Response(_png(300, 200), media_type="image/png")
    if name == "clip.wav":
        return Response(_wav(1.5), media_type="audio/wav")
    if name == "liar.mp4":  # says video, is a PNG
        return Response(_png(10, 10), media_type="video/mp4")
    if name == "garbage.png":
        return Response(b"<html>not an image</html>" * 100, media_type="image/png")
    if name == "empty.glb":  # a valid GLB with nothing to draw
        return Response(
            pack_glb({"asset": {"version": "2.0"}}, b""), media_type="model/gltf-binary"
        )
    if name == "busy":
        return Response(status_code=503)
    if name == "expired":
        return Response(status_code=403)
    if name == "huge":
        return Response(b"\0" * 300_000, media_type="image/png")
    return Response(status_code=404)


@pytest.fixture(scope="module")
def origin():
    server, thread, base = serve_app(Starlette(routes=[Route("/{name}", _serve)]))
    yield base
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files", URLSigner(b"k" * 32))


def _collect(storage, tmp_path, task_type, *outputs, max_bytes=10_000_000, http=None):
    async def run():
        async with http or httpx.AsyncClient() as http_:
            return await collect(
                list(outputs),
                task_type=task_type,
                key_prefix="acct_a/task_b",
                storage=storage,
                http=http_,
                work_dir=tmp_path / "work",
                max_bytes=max_bytes,
            )

    return asyncio.run(run())


def test_remote_outputs_are_streamed_measured_and_stored(origin, storage, tmp_path):
    items = _collect(
        storage, tmp_path, "image",
        JobOutput(url=f"{origin}/image.png", headers={"Authorization": "Bearer s3cret"}),
    )  # fmt: skip
    assert items == [
        {"key": "acct_a/task_b/0.png", "format": "png", "content_type": "image/png",
         "size_bytes": len(_png(300, 200)), "width": 300, "height": 200,
         "thumbnail_key": "acct_a/task_b/0.thumb.webp", "thumbnail_content_type": "image/webp"},
    ]  # fmt: skip
    assert storage.path_of("acct_a/task_b/0.png").read_bytes() == _png(300, 200)
    with Image.open(storage.path_of("acct_a/task_b/0.thumb.webp")) as thumbnail:
        assert thumbnail.format == "WEBP" and thumbnail.size == (300, 200)
        assert thumbnail.convert("RGB").getpixel((150, 100)) == pytest.approx((1, 2, 3), abs=3)
    [audio] = _collect(storage, tmp_path, "audio", JobOutput(url=f"{origin}/clip.wav"))
    assert audio["format"] == "wav" and audio["duration"] == pytest.approx(1.5, abs=0.01)
    assert audio["thumbnail_key"] == "acct_a/task_b/0.thumb.webp"
    assert not list((tmp_path / "work").iterdir())  # no temporary file left behind
    # Deleting the task's files (cancel while copying, retention) takes the preview too.
    asyncio.run(storage.delete_prefix("acct_a/task_b/"))
    assert not storage.path_of("acct_a/task_b").exists()


def test_an_output_without_a_possible_preview_is_stored_without_one(origin, storage, tmp_path):
    [item] = _collect(storage, tmp_path, "model3d", JobOutput(url=f"{origin}/empty.glb"))
    assert item["key"] == "acct_a/task_b/0.glb" and "thumbnail_key" not in item
    assert sorted(p.name for p in storage.path_of("acct_a/task_b").iterdir()) == ["0.glb"]
    assert not list((tmp_path / "work").iterdir())


@pytest.mark.parametrize(
    ("name", "task_type", "needle"),
    [
        ("liar.mp4", "video", "is png, not a video format"),
        ("garbage.png", "image", "not a usable file"),
        ("expired", "image", "HTTP 403"),
        ("huge", "image", "limit"),
    ],
)
def test_bad_outputs_fail_with_result_unavailable(origin, storage, tmp_path, name, task_type,
                                                  needle):  # fmt: skip
    with pytest.raises(ResultUnavailable) as caught:
        _collect(storage, tmp_path, task_type, JobOutput(url=f"{origin}/{name}"),
                 max_bytes=200_000)  # fmt: skip
    assert caught.value.code == "RESULT_UNAVAILABLE" and needle in caught.value.message
    assert not storage.path_of("acct_a/task_b/0.png").exists()


def test_transient_fetch_failures_are_retryable(origin, storage, tmp_path):
    with pytest.raises(RetryableError):
        _collect(storage, tmp_path, "image", JobOutput(url=f"{origin}/busy"))
    with pytest.raises(RetryableError):  # nobody listens there
        _collect(storage, tmp_path, "image", JobOutput(url="http://127.0.0.1:9/x.png"))


def test_outputs_come_only_from_public_addresses_or_configured_provider_hosts(
    origin, storage, tmp_path
):
    """The engine's client for outputs: a provider (here kling, configured on 127.0.0.1) may
    point to its own host; an output on another private address (`localhost`, the same server)
    is refused, naming the address, and nothing is stored."""
    from mediagate.config import Settings
    from mediagate.engine.runtime import Engine
    from mediagate.engine.wakeup import Wakeup
    from mediagate.providers.registry import build_providers

    settings = Settings(data_dir=tmp_path / "data", kling_base_url=origin, webhook_concurrency=0)

    def engine_http() -> httpx.AsyncClient:
        return Engine(settings, None, storage, build_providers(settings), Wakeup()).http  # type: ignore[arg-type]

    auth = {"Authorization": "Bearer s3cret"}
    output = JobOutput(url=f"{origin}/image.png", headers=auth)
    [item] = _collect(storage, tmp_path, "image", output, http=engine_http())
    assert item["key"] == "acct_a/task_b/0.png"
    asyncio.run(storage.delete_prefix("acct_a/task_b/"))
    elsewhere = origin.replace("127.0.0.1", "localhost")
    with pytest.raises(ResultUnavailable) as caught:
        output = JobOutput(url=f"{elsewhere}/image.png", headers=auth)
        _collect(storage, tmp_path, "image", output, http=engine_http())
    assert "localhost resolves to" in caught.value.message
    assert "loopback address" in caught.value.message
    assert not storage.path_of("acct_a/task_b/0.png").exists()


def test_result_links_sign_the_preview_like_the_file(storage):
    stored = [
        {"key": "acct_a/task_b/0.png", "format": "png", "content_type": "image/png",
         "size_bytes": 10, "thumbnail_key": "acct_a/task_b/0.thumb.webp",
         "thumbnail_content_type": "image/webp"},
        {"key": "acct_a/task_b/1.png", "format": "png", "content_type": "image/png",
         "size_bytes": 10},  # stored before previews existed
    ]  # fmt: skip
    links = ResultLinks(storage, 60, public_url="https://media.example/")
    first, second = links.public(orjson.dumps(stored).decode(), "task_b", "http://127.0.0.1:1")
    assert first["url"].startswith("https://media.example/files/acct_a/task_b/0.png?")
    thumbnail = urlsplit(first["thumbnail_url"])
    assert thumbnail.path == "/files/acct_a/task_b/0.thumb.webp"
    query = parse_qs(thumbnail.query)
    assert query["type"] == ["image/webp"] and query["name"] == ["task_b-0-thumbnail.webp"]
    assert storage.signer.verify("acct_a/task_b/0.thumb.webp", thumbnail.query)
    assert "thumbnail_url" not in second and set(second) == {"url", "format", "size_bytes"}
