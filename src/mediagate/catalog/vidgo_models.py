"""Models served by vidgo.ai, an aggregator with one task API for many upstream models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price


class Sora2Input(ModelInput):
    prompt: str = prompt(5000)
    duration: Literal[10, 15] = Field(default=10, description="Seconds.")
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"


class GptImage2Input(ModelInput):
    prompt: str = prompt(4000)
    size: Literal["1:1", "3:2", "2:3"] = "1:1"
    quality: Literal["low", "medium", "high"] = "medium"
    resolution: Literal["1K", "2K"] = "1K"
    image_urls: list[ImageRef] = Field(
        default_factory=list, max_length=4, description="Images to edit (image editing)."
    )


class Veo31Input(ModelInput):
    prompt: str = prompt(4000)
    duration: Literal[4, 6, 8] = Field(default=8, description="Seconds.")
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    resolution: Literal["720p", "1080p"] = "720p"
    generate_audio: bool = False
    image_url: ImageRef | None = Field(default=None, description="First frame (image-to-video).")


VIDGO_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "sora-2",
        "video",
        "vidgo",
        "OpenAI Sora 2 through vidgo: text-to-video, 10 or 15 s.",
        Sora2Input,
        Price(0.05, "second"),
        default_timeout_s=1800,
    ),
    ModelSpec(
        "gpt-image-2",
        "image",
        "vidgo",
        "OpenAI GPT Image 2 through vidgo: text-to-image, or image editing with image_urls.",
        GptImage2Input,
        Price(0.04, "image"),
        default_timeout_s=600,
    ),
    ModelSpec(
        "veo3.1-fast",
        "video",
        "vidgo",
        "Google Veo 3.1 Fast through vidgo: text- or image-to-video, 4-8 s.",
        Veo31Input,
        Price(0.05, "second"),
        default_timeout_s=1800,
    ),
)
