"""Audio previews: the waveform's peaks per column, drawn with Pillow."""

from __future__ import annotations

from array import array
from pathlib import Path

import av
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 320, 160
BACKGROUND = (24, 26, 32)
AXIS = (60, 64, 76)
WAVE = (96, 196, 255)
_RATE = 8000  # samples per second decoded for the drawing (mono)
_MAX_SAMPLES = 4_800_000  # longer files are decoded at a lower rate
_QUIET = 1024  # peaks below this (of 32767) are not blown up to full height


def waveform(path: Path, fmt: str, duration: float | None) -> Image.Image:
    """A WIDTH x HEIGHT picture of the waveform: each column spans the minimum to the maximum
    sample of its slice of time, scaled to the loudest peak."""
    samples = _decode(path, fmt, duration)
    if not samples:
        raise ValueError("no decodable audio samples")
    picture = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    middle = (HEIGHT - 1) / 2
    draw.line((0, middle, WIDTH - 1, middle), fill=AXIS)
    scale = (middle - 4) / max(_QUIET, max(samples), -min(samples))
    count = len(samples)
    for column in range(WIDTH):
        piece = samples[column * count // WIDTH : (column + 1) * count // WIDTH]
        if piece:
            top, bottom = middle - max(piece) * scale, middle - min(piece) * scale
            draw.line((column, top, column, bottom), fill=WAVE)
    return picture


def _decode(path: Path, fmt: str, duration: float | None) -> array:
    """Mono 16-bit samples at _RATE (lower for long files); a decoding error ends the file."""
    rate = _RATE
    if duration and duration * rate > _MAX_SAMPLES:
        rate = max(100, int(_MAX_SAMPLES / duration))
    samples = array("h")
    with av.open(str(path), "r", format=fmt) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
                if len(samples) >= _MAX_SAMPLES:
                    break
            else:
                for out in resampler.resample(None):
                    samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
        except av.FFmpegError:
            if not samples:
                raise
    return samples
