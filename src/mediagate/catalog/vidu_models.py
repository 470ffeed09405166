"""Models served by Vidu (platform.vidu.com, `/ent/v2/...`).

Vidu bills in credits and publishes no USD price per credit; the prices below are **estimates**
at $0.005 per credit, from third-party per-second credit tables (viduq3-pro 720p: 30 credits/s)
and scaled guesses for the other models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price

VideoRatio = Literal["16:9", "9:16", "1:1", "3:4", "4:3"]


class _ViduVideoInput(ModelInput):
    prompt: str = prompt(5000)
    aspect_ratio: VideoRatio = Field(
        default="16:9", description="Text-to-video only (image-to-video keeps the image's)."
    )
    resolution: Literal["540p", "720p", "1080p"] = "720p"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Random if unset.")
    bgm: bool = Field(default=False, description="Add background music.")
    image: ImageRef | None = Field(
        default=None, description="Start frame: makes it an image-to-video task."
    )


class ViduQ3Input(_ViduVideoInput):
    duration: int = Field(default=5, ge=1, le=16, description="Seconds.")
    audio: bool | None = Field(
        default=None, description="Generate sound (Vidu's default if unset)."
    )


class ViduQ2Input(_ViduVideoInput):
    duration: int = Field(default=5, ge=1, le=10, description="Seconds.")


class ViduQ2ImageInput(ModelInput):
    prompt: str = prompt(2000)
    aspect_ratio: Literal["16:9", "9:16", "1:1", "3:4", "4:3"] = "1:1"
    resolution: Literal["1080p", "2K", "4K"] = "1080p"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Random if unset.")
    images: list[ImageRef] = Field(
        default_factory=list, max_length=7, description="Reference images, or an image to edit."
    )


VIDU_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "viduq3-turbo",
        "video",
        "vidu",
        "Vidu Q3 Turbo: fast text- or image-to-video (with `image`), 1-16 s, optional sound.",
        ViduQ3Input,
        Price(0.08, "second"),  # estimate
        default_timeout_s=1800,
    ),
    ModelSpec(
        "viduq3-pro",
        "video",
        "vidu",
        "Vidu Q3 Pro: text- or image-to-video (with `image`), 1-16 s, optional sound.",
        ViduQ3Input,
        Price(0.15, "second"),  # estimate: 30 credits/s at 720p
        default_timeout_s=1800,
    ),
    ModelSpec(
        "viduq2",
        "video",
        "vidu",
        "Vidu Q2: text- or image-to-video (with `image`), 1-10 s.",
        ViduQ2Input,
        Price(0.05, "second"),  # estimate
        default_timeout_s=1800,
    ),
    ModelSpec(
        "viduq2-image",
        "image",
        "vidu",
        "Vidu Q2 image: text-to-image, or reference/edit with up to 7 `images`.",
        ViduQ2ImageInput,
        Price(0.03, "image"),  # estimate
        default_timeout_s=600,
        provider_model="viduq2",
    ),
)
