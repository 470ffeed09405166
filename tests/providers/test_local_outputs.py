"""Every local model end to end through the provider API: submit, poll, decode the output."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
from local_support import SyncLocal
from PIL import Image

from mediagate.catalog import CATALOG
from mediagate.catalog.local_models import LOCAL_MODELS
from mediagate.media import probe
from mediagate.providers import JobState, ProviderError
from mediagate.providers.local import LocalProvider


def _image(fmt: str, size: tuple[int, int]) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        with Image.open(path) as image:
            image.load()
            assert image.format == fmt
            assert image.size == size

    return check


def _video(frames: int, size: tuple[int, int], fps: int) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert float(stream.average_rate) == fps
            decoded = [frame.to_image().tobytes() for frame in container.decode(stream)]
        assert len(decoded) == frames
        assert decoded[0] != decoded[-1]
        assert (probe(path).width, probe(path).height) == size

    return check


def _audio(duration: float, codec: str) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            assert stream.codec_context.name.startswith(codec)
            samples = sum(frame.samples for frame in container.decode(stream))
            rate = stream.codec_context.sample_rate
        assert samples / rate == pytest.approx(duration, abs=0.03)

    return check


def _glb(path: Path) -> None:
    data = path.read_bytes()
    assert struct.unpack_from("<4sII", data) == (b"glTF", 2, len(data))


# model, input (beyond the prompt), output name, check. Defaults on purpose: they are what a
# client gets without asking, and they must render quickly.
CASES: list[tuple[str, dict[str, Any], str, Callable[[Path], None]]] = [
    ("local-image", {}, "output.png", _image("PNG", (512, 512))),
    ("local-image", {"format": "jpeg", "width": 320, "height": 200}, "output.jpg",
     _image("JPEG", (320, 200))),
    ("local-image", {"format": "webp", "width": 64, "height": 640}, "output.webp",
     _image("WEBP", (64, 640))),
    ("local-video", {}, "output.mp4", _video(96, (640, 360), 24)),
    ("local-video", {"duration": 1.5, "width": 128, "height": 72, "fps": 10}, "output.mp4",
     _video(15, (128, 72), 10)),
    ("local-audio", {}, "output.wav", _audio(5.0, "pcm_s16le")),
    ("local-audio", {"format": "mp3", "duration": 2.5}, "output.mp3", _audio(2.5, "mp3")),
    ("local-music", {}, "output.wav", _audio(5.0, "pcm_s16le")),
    ("local-music", {"format": "mp3", "duration": 3.0}, "output.mp3", _audio(3.0, "mp3")),
    ("local-3d", {}, "output.glb", _glb),
]  # fmt: skip


def test_every_model_renders_a_real_file(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local(max_parallel=2)
    jobs = [(local.submit(model, prompt=f"case {n}", **extra), name, check)
            for n, (model, extra, name, check) in enumerate(CASES)]  # fmt: skip
    for job_id, name, check in jobs:
        status = local.wait(job_id)
        assert status.state is JobState.SUCCEEDED, status
        assert status.progress == 100
        (output,) = status.outputs
        assert output.url is None
        assert output.path == local.jobs_dir / job_id / name
        check(output.path)
        probe(output.path)  # what the engine does with it: no UnsupportedMedia


def test_identity_and_catalog(jobs_dir: Path) -> None:
    provider = LocalProvider(jobs_dir=jobs_dir)
    assert provider.name == "local"
    assert provider.resubmit_safe and provider.supports_cancel
    assert list(provider.models()) == list(LOCAL_MODELS)
    assert {spec.provider for spec in provider.models()} == {"local"}
    assert not jobs_dir.exists()  # nothing happens on disk before the first job


def test_input_the_renderer_cannot_honour_fails_as_invalid_input(
    make_local: Callable[..., SyncLocal],
) -> None:
    local = make_local()
    job_id = local.submit("local-video", prompt="p", duration=0.1, fps=1)  # no whole frame
    status = local.wait(job_id)
    assert status.state is JobState.FAILED
    assert status.error_code == "INVALID_INPUT"
    assert status.error_message
    assert sorted(p.name for p in (local.jobs_dir / job_id).iterdir()) == ["state.json"]


def test_invalid_requests_are_refused_at_submit(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    elsewhere = dataclasses.replace(CATALOG.get("local-image"), id="remote-image", provider="x")
    for model, values in [
        ("local-image", {"prompt": "p", "width": 5}),
        ("local-image", {"prompt": "p", "colour": "red"}),
        ("local-3d", {}),
        (elsewhere, {"prompt": "p"}),
    ]:
        with pytest.raises(ProviderError) as caught:
            local.submit(model, validate=False, **values)
        assert caught.value.code == "INVALID_INPUT"
        assert not caught.value.retryable
    assert not local.jobs_dir.exists() or not list(local.jobs_dir.iterdir())


def test_defaults_are_filled_for_direct_callers(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    status = local.wait(local.submit("local-image", validate=False, prompt="p"))
    assert status.outputs[0].path.name == "output.png"
    assert probe(status.outputs[0].path).width == 512


def test_cleanup_removes_the_job(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    job_id = local.submit("local-3d", prompt="p")
    assert local.wait(job_id).state is JobState.SUCCEEDED
    local.cleanup(job_id)
    assert not (local.jobs_dir / job_id).exists()
    with pytest.raises(ProviderError):
        local.poll(job_id)


def test_max_parallel_must_be_positive(jobs_dir: Path) -> None:
    with pytest.raises(ValueError):
        LocalProvider(jobs_dir=jobs_dir, max_parallel=0)
