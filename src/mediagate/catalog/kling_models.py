"""Models served by Kling's legacy API (`/v1/videos/...`, `/v1/images/generations`).

Kling bills in units (about $0.14 each in prepaid packs). Prices are **estimates**: kling-v2-6
at 0.5 units/s (a third-party summary of the official table, pro mode, no sound); the
kling-v2-1-master and image prices are not in the sources we have.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price


class _KlingVideoInput(ModelInput):
    prompt: str = prompt(2500)
    negative_prompt: str | None = Field(default=None, max_length=2500)
    duration: Literal[5, 10] = Field(default=5, description="Seconds.")
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = Field(
        default="16:9", description="Text-to-video only (image-to-video keeps the image's)."
    )
    image: ImageRef | None = Field(
        default=None, description="Start frame: makes it an image-to-video task."
    )
    image_tail: ImageRef | None = Field(default=None, description="End frame (with `image`).")


class KlingV26Input(_KlingVideoInput):
    mode: Literal["std", "pro"] = Field(default="pro", description="std: 720p; pro: 1080p.")
    sound: bool = Field(default=False, description="Generate sound.")


class KlingMasterInput(_KlingVideoInput):
    pass


class KlingImageInput(ModelInput):
    prompt: str = prompt(2500)
    negative_prompt: str | None = Field(default=None, max_length=2500)
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"] = "1:1"
    resolution: Literal["1k", "2k"] = "1k"
    n: int = Field(default=1, ge=1, le=9, description="Number of images.")


KLING_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "kling-v2-6",
        "video",
        "kling",
        "Kling 2.6: text- or image-to-video (with `image`), 5 or 10 s, optional sound.",
        KlingV26Input,
        # estimates: 0.5 units/s in pro mode (1080p), 0.3 in std (720p)
        Price(0.07, "second", tier_field="mode", tiers={"std": 0.042, "pro": 0.07}),
        default_timeout_s=1800,
    ),
    ModelSpec(
        "kling-v2-1-master",
        "video",
        "kling",
        "Kling 2.1 Master: text- or image-to-video (with `image`), 5 or 10 s, 1080p.",
        KlingMasterInput,
        Price(0.28, "second"),  # estimate
        default_timeout_s=1800,
    ),
    ModelSpec(
        "kling-v2-1-image",
        "image",
        "kling",
        "Kling 2.1 image: text-to-image, 1-9 images, 1K or 2K.",
        KlingImageInput,
        Price(0.035, "image"),  # estimate
        default_timeout_s=600,
        provider_model="kling-v2-1",
    ),
)
