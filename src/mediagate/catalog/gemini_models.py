"""Models served by the Gemini API (Developer mode, API key): Veo video generation, a long-running
operation, and Gemini image generation, a synchronous `generateContent` call.

Prices are estimates: Veo is billed per second of output (research: Veo 3 $0.40/s, Veo 3 Fast
$0.15/s on the Gemini API, 2026 rates unconfirmed); a `gemini-2.5-flash-image` image is 1290
output tokens at $30 per million, about $0.039.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price


class VeoInput(ModelInput):
    """Veo's input. The names are also what vidgo, the fallback, translates (see
    `providers.vidgo.adapter.FALLBACK_MODELS`)."""

    prompt: str = prompt(4000)
    duration_seconds: Literal[4, 6, 8] = Field(
        default=8, description="Seconds of video; 1080p needs 8."
    )
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    resolution: Literal["720p", "1080p"] = "720p"
    image: ImageRef | None = Field(
        default=None, description="First frame (image-to-video): a URL or a data URI."
    )
    negative_prompt: str | None = Field(
        default=None, max_length=2000, description="What the video should not show."
    )


class GeminiImageInput(ModelInput):
    prompt: str = prompt(8000)
    aspect_ratio: Literal[
        "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"
    ] = "1:1"
    image: ImageRef | None = Field(
        default=None, description="An image to edit (image editing): a URL or a data URI."
    )


GEMINI_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "veo-3.1-fast-generate-preview",
        "video",
        "gemini",
        "Google Veo 3.1 Fast (with audio): text- or image-to-video, 4-8 s, 720p or 1080p.",
        VeoInput,
        Price(0.15, "second"),
        default_timeout_s=1800,
        fallbacks=("vidgo",),
    ),
    ModelSpec(
        "veo-3.1-generate-preview",
        "video",
        "gemini",
        "Google Veo 3.1 (with audio): text- or image-to-video, 4-8 s, 720p or 1080p.",
        VeoInput,
        Price(0.40, "second"),
        default_timeout_s=1800,
        fallbacks=("vidgo",),
    ),
    ModelSpec(
        "gemini-2.5-flash-image",
        "image",
        "gemini",
        "Gemini 2.5 Flash Image: text-to-image, or image editing with `image`.",
        GeminiImageInput,
        Price(0.039, "image"),
        default_timeout_s=600,
    ),
)
