"""Every type end to end on the offline `local` provider: create over HTTP, wait, download the
signed URL, decode the file; and its preview from `thumbnail_url`."""

from __future__ import annotations

import io
import json
import struct
import time

import av
import httpx
import pytest
from PIL import Image, ImageStat

from helpers import wait_for
from mediagate.media.thumbnail import MAX_SIDE


@pytest.fixture
def http(engine_live):
    with engine_live.client() as client:
        yield client


def _run(http, task_type: str, model: str, tmp_path, **input_):
    body = {"type": task_type, "model": model, "input": {"prompt": "a red fox", **input_}}
    r = http.post("/api/v1/tasks", json=body)
    assert r.status_code == 202, r.text
    task = wait_for(http, r.json()["data"]["id"], timeout=90)
    assert task["status"] == "succeeded", task
    [item] = task["result"]
    download = httpx.get(item["url"], timeout=30)
    assert download.status_code == 200
    assert item["size_bytes"] == len(download.content)
    path = tmp_path / f"out.{item['format']}"
    path.write_bytes(download.content)
    return task, item, path


def _thumbnail(item) -> Image.Image:
    """The result's preview, downloaded from its own signed URL and decoded."""
    assert item["thumbnail_url"].startswith("http") and item["thumbnail_url"] != item["url"]
    download = httpx.get(item["thumbnail_url"], timeout=30)
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(download.content)) as picture:
        assert picture.format == "WEBP"
        picture.load()
        assert max(picture.size) <= MAX_SIDE
        return picture.convert("RGB")


def _spread(picture: Image.Image) -> float:
    """How much the picture varies (0 for a blank one)."""
    return max(ImageStat.Stat(picture).stddev)


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_image(http, tmp_path, fmt, pil):
    task, item, path = _run(http, "image", "local-image", tmp_path, width=320, height=200,
                            format=fmt)  # fmt: skip
    assert (item["width"], item["height"]) == (320, 200)
    with Image.open(path) as image:
        assert image.format == pil and image.size == (320, 200)
        expected = image.convert("RGB").resize((MAX_SIDE, 200), Image.Resampling.LANCZOS)
    assert task["cost"] > 0
    thumbnail = _thumbnail(item)
    assert thumbnail.size == (320, 200)
    assert thumbnail.getpixel((160, 100)) == pytest.approx(expected.getpixel((160, 100)), abs=16)


def test_video(http, tmp_path):
    _, item, path = _run(http, "video", "local-video", tmp_path, duration=2, width=320,
                         height=240, fps=12)  # fmt: skip
    assert item["format"] == "mp4" and (item["width"], item["height"]) == (320, 240)
    assert abs(item["duration"] - 2) < 0.2
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_image().tobytes() for f in container.decode(stream)]
    assert abs(len(frames) - 24) <= 1
    assert len(set(frames)) > len(frames) // 2  # it moves: frames differ
    thumbnail = _thumbnail(item)
    assert thumbnail.size == (320, 240)  # a frame of the video, at its aspect
    assert _spread(thumbnail) > 5


@pytest.mark.parametrize(("model", "fmt"), [("local-audio", "wav"), ("local-music", "mp3")])
def test_audio_and_music(http, tmp_path, model, fmt):
    task_type = "audio" if model == "local-audio" else "music"
    task, item, path = _run(http, task_type, model, tmp_path, duration=3, format=fmt)
    assert item["format"] == fmt and abs(item["duration"] - 3) < 0.2
    with av.open(str(path)) as container:
        decoded = sum(f.samples for f in container.decode(audio=0))
        rate = container.streams.audio[0].rate
    assert abs(decoded / rate - 3) < 0.2
    thumbnail = _thumbnail(item)
    assert thumbnail.width > thumbnail.height  # a waveform, drawn across
    assert _spread(thumbnail) > 5  # not blank
    assert task["cost"] == pytest.approx(3 * (0.001 if model == "local-audio" else 0.002), rel=0.1)


def test_model3d(http, tmp_path):
    _, item, path = _run(http, "model3d", "local-3d", tmp_path)
    thumbnail = _thumbnail(item)
    corner, centre = thumbnail.getpixel((2, 2)), thumbnail.getpixel((160, 160))
    assert max(abs(a - b) for a, b in zip(corner, centre, strict=True)) > 40  # a model drawn
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    assert chunk_type == b"JSON"
    doc = json.loads(data[20 : 20 + chunk_len])
    assert doc["meshes"] and "POSITION" in doc["meshes"][0]["primitives"][0]["attributes"]


def test_render_seconds_shows_progress_and_cancel_stops_it(http):
    body = {"type": "image", "model": "local-image",
            "input": {"prompt": "slow fox", "render_seconds": 20}}  # fmt: skip
    task_id = http.post("/api/v1/tasks", json=body).json()["data"]["id"]
    progress = []
    deadline = time.monotonic() + 15
    while len(set(progress)) < 3 and time.monotonic() < deadline:
        task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
        if task["status"] == "running":
            progress.append(task["progress"])
        time.sleep(0.2)
    assert progress == sorted(progress) and len(set(progress)) >= 3, progress
    assert http.post(f"/api/v1/tasks/{task_id}/cancel").json()["data"]["status"] == "cancelled"
    time.sleep(1)
    assert http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] == "cancelled"
