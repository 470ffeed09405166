"""Short H.264/MP4 clips: a slowly panning backdrop with shapes orbiting on Lissajous paths."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

import av
from PIL import Image, ImageDraw

from .backdrop import backdrop
from .codecs import h264_encoder
from .control import (
    Control,
    PathLike,
    ProgressFn,
    StopFn,
    atomic_output,
    require_duration,
    require_size,
    rng_for,
)
from .palette import RGB, palette
from .soundtrack import Soundtrack

MAX_SIDE = 4096
MAX_FPS = 120
# AVCOL_* value 1 is BT.709 for primaries, transfer and matrix; range 1 is limited ("MPEG").
_BT709 = 1
_LIMITED_RANGE = 1


@dataclass(frozen=True, slots=True)
class _Sprite:
    kind: int  # 0 disc, 1 ring, 2 spinning polygon
    color: tuple[int, int, int, int]
    radius: float
    sides: int
    center: tuple[float, float]
    amplitude: tuple[float, float]
    freq: tuple[float, float]  # Hz
    phase: tuple[float, float]
    spin: float  # turns per second

    def draw(self, draw: ImageDraw.ImageDraw, t: float, w: int, h: int) -> None:
        x = (
            self.center[0]
            + self.amplitude[0] * math.sin(math.tau * self.freq[0] * t + self.phase[0])
        ) * w
        y = (
            self.center[1]
            + self.amplitude[1] * math.sin(math.tau * self.freq[1] * t + self.phase[1])
        ) * h
        r = self.radius * min(w, h)
        if self.kind == 0:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=self.color)
        elif self.kind == 1:
            draw.ellipse(
                (x - r, y - r, x + r, y + r), outline=self.color, width=max(1, round(r * 0.25))
            )
        else:
            draw.regular_polygon((x, y, r), self.sides, self.spin * 360.0 * t, fill=self.color)


def render_video(
    path: PathLike,
    *,
    prompt: str,
    duration: float,
    width: int,
    height: int,
    fps: int,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    soundtrack: bool = False,
) -> None:
    """Write an H.264 (yuv420p) MP4 of exactly round(duration * fps) frames; `soundtrack`: with
    an AAC track of the prompt's tune (models whose videos have sound).

    Width and height must be even (4:2:0 chroma subsampling). Frames are encoded as they are
    drawn, so memory does not grow with the duration.
    """
    duration = require_duration(duration)
    require_size("fps", fps, low=1, high=MAX_FPS)
    for name, value in (("width", width), ("height", height)):
        require_size(name, value, low=2, high=MAX_SIDE)
        if value % 2:
            raise ValueError(f"{name} must be even for yuv420p, got {value}")
    frames = round(duration * fps)
    if frames < 1:
        raise ValueError(f"duration {duration}s at {fps} fps gives no frames")
    control = Control(progress, should_stop)
    control.check()
    control.report(0.0)

    rng = rng_for("video", prompt)
    colors = palette(rng)
    travel = max(2, width // 4)
    scenery = backdrop(rng, colors, width + travel, height)
    sprites = _sprites(rng, colors)
    pan_hz = rng.uniform(0.05, 0.2)
    bar_color = (*colors[-1], 200)

    encoder = h264_encoder()
    with (
        atomic_output(path) as tmp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container,
    ):
        stream = container.add_stream(encoder, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ctx = stream.codec_context
        ctx.color_primaries = ctx.color_trc = ctx.colorspace = _BT709
        ctx.color_range = _LIMITED_RANGE
        ctx.gop_size = 2 * fps
        if encoder == "libx264":
            # One thread: x264's output depends on its thread count, and the bytes must not
            # depend on the machine. Drawing the frames costs more than encoding them anyway.
            stream.options = {"preset": "veryfast", "crf": "23", "threads": "1"}
        time_base = Fraction(1, fps)
        sound = Soundtrack(container, prompt, frames / fps) if soundtrack else None
        for index in range(frames):
            control.check()
            t = index / fps
            offset = round((0.5 - 0.5 * math.cos(math.tau * pan_hz * t)) * travel)
            picture = scenery.crop((offset, 0, offset + width, height))
            draw = ImageDraw.Draw(picture, "RGBA")
            for sprite in sprites:
                sprite.draw(draw, t, width, height)
            # A time bar along the bottom edge keeps even slow scenes visibly moving.
            bar_h = max(2, height // 60)
            draw.rectangle(
                (0, height - bar_h, (index + 1) * width // frames, height), fill=bar_color
            )
            frame = _to_yuv(picture)
            frame.pts, frame.time_base = index, time_base
            container.mux(stream.encode(frame))
            if sound is not None:
                sound.until((index + 1) / fps)
            control.report((index + 1) / frames)
        container.mux(stream.encode(None))
        if sound is not None:
            sound.close()
    control.finish()


def _to_yuv(picture: Image.Image) -> av.VideoFrame:
    return av.VideoFrame.from_image(picture).reformat(
        format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG"
    )


def _sprites(rng: random.Random, colors: list[RGB]) -> list[_Sprite]:
    return [
        _Sprite(
            kind=rng.randrange(3),
            color=(*rng.choice(colors), rng.randint(150, 235)),
            radius=rng.uniform(0.05, 0.16),
            sides=rng.randint(3, 7),
            center=(rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)),
            amplitude=(rng.uniform(0.15, 0.35), rng.uniform(0.15, 0.35)),
            freq=(rng.uniform(0.15, 0.6), rng.uniform(0.15, 0.6)),
            phase=(rng.uniform(0, math.tau), rng.uniform(0, math.tau)),
            spin=rng.uniform(-0.5, 0.5),
        )
        for _ in range(rng.randint(3, 6))
    ]
