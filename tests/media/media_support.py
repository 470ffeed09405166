"""Helpers of the media tests: small render jobs of every kind and independent decoders."""

from __future__ import annotations

import json
import struct
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from PIL import Image

from mediagate.media import render_glb, render_image, render_music, render_speech, render_video

Render = Callable[..., None]

#: name -> (file name, renderer, small parameters): one quick job per renderer and format.
SMALL_JOBS: dict[str, tuple[str, Render, dict[str, Any]]] = {
    "png": ("out.png", render_image, {"width": 96, "height": 64, "fmt": "png"}),
    "jpeg": ("out.jpg", render_image, {"width": 96, "height": 64, "fmt": "jpeg"}),
    "webp": ("out.webp", render_image, {"width": 96, "height": 64, "fmt": "webp"}),
    "mp4": ("out.mp4", render_video, {"duration": 1.0, "width": 64, "height": 48, "fps": 12}),
    "speech-wav": ("out.wav", render_speech, {"duration": 1.5, "fmt": "wav"}),
    "speech-mp3": ("out.mp3", render_speech, {"duration": 1.5, "fmt": "mp3"}),
    "music-wav": ("out.wav", render_music, {"duration": 1.5, "fmt": "wav"}),
    "music-mp3": ("out.mp3", render_music, {"duration": 1.5, "fmt": "mp3"}),
    "glb": ("out.glb", render_glb, {}),
}


def render_small(name: str, directory: Path, prompt: str = "a red fox", **extra: Any) -> Path:
    file_name, render, params = SMALL_JOBS[name]
    path = directory / file_name
    render(path, prompt=prompt, **params, **extra)
    return path


def decode_image(path: Path) -> tuple[str, Image.Image]:
    """The format Pillow detected and the fully decoded picture."""
    with Image.open(path) as image:
        image.load()
        return str(image.format), image.copy()


def decode_video(path: Path) -> tuple[list[bytes], int, int, float]:
    """Luma planes of every frame, width, height and the stream's average frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [
            (frame.width, frame.height, bytes(frame.to_image().convert("L").tobytes()))
            for frame in container.decode(stream)
        ]
        rate = float(stream.average_rate)
    sizes = {(w, h) for w, h, _ in frames}
    assert len(sizes) == 1, sizes
    ((width, height),) = sizes
    return [luma for _, _, luma in frames], width, height, rate


def decode_audio(path: Path) -> tuple[array, int, str]:
    """Every sample as mono int16, the sample rate and the codec name."""
    samples = array("h")
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        codec = stream.codec_context.name
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
        for out in resampler.resample(None):
            samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
    return samples, rate, codec


def rms_windows(samples: array, rate: int, seconds: float = 0.05) -> list[float]:
    """Root mean square of consecutive windows."""
    size = max(1, int(rate * seconds))
    out = []
    for start in range(0, len(samples) - size + 1, size):
        window = samples[start : start + size]
        out.append((sum(s * s for s in window) / size) ** 0.5)
    return out


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Check a GLB's layout independently of the product code; its JSON and BIN chunk."""
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF"
    assert version == 2
    assert length == len(data)
    json_len, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == 0x4E4F534A
    assert json_len % 4 == 0
    document = json.loads(data[20 : 20 + json_len])
    offset = 20 + json_len
    bin_len, bin_type = struct.unpack_from("<II", data, offset)
    assert bin_type == 0x004E4942
    assert bin_len % 4 == 0
    assert offset + 8 + bin_len == length
    return document, data[offset + 8 : offset + 8 + bin_len]


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
