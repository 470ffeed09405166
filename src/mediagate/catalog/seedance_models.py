"""Seedance video models on BytePlus ModelArk (docs.byteplus.com/en/docs/ModelArk).

Seedance bills tokens (about width x height x 24 fps x seconds / 1024 per video, $ per million
tokens); the per-second prices below are estimates at each model's default resolution and 16:9
from the published token prices (1.0 pro $2.5/M, 1.0 lite $1.8/M, 1.5 pro $2.4/M with audio):
a 480p or 720p video costs less, and the provider's `usage.completion_tokens` is authoritative.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price

Resolution = Literal["480p", "720p", "1080p"]
Ratio = Literal["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"]

_RATIO = Field(
    default=None,
    description="Aspect ratio; default 16:9 for text-to-video, and for image-to-video "
    "'adaptive' (the image's).",
)
_SEED = Field(default=None, ge=-1, le=2**32 - 1, description="-1 or absent: random.")
_IMAGE = Field(default=None, description="First frame (image-to-video).")
_LAST = Field(default=None, description="Last frame (with `image`: first-and-last-frame video).")


class _SeedanceInput(ModelInput):
    prompt: str = prompt(2000)
    ratio: Ratio | None = _RATIO
    seed: int | None = _SEED
    camera_fixed: bool = Field(default=False, description="Keep the camera still.")
    watermark: bool = False


class Seedance10ProInput(_SeedanceInput):
    resolution: Resolution = "1080p"
    duration: int = Field(default=5, ge=2, le=12, description="Seconds.")
    image: ImageRef | None = _IMAGE


class Seedance10LiteT2VInput(_SeedanceInput):
    resolution: Resolution = "720p"
    duration: int = Field(default=5, ge=2, le=12, description="Seconds.")


class Seedance15ProInput(_SeedanceInput):
    resolution: Resolution = "720p"
    duration: int = Field(default=5, ge=4, le=12, description="Seconds.")
    generate_audio: bool = Field(default=True, description="A soundtrack (billed more).")
    image: ImageRef | None = _IMAGE
    last_frame_image: ImageRef | None = _LAST


def _seedance(
    model_id: str, version: str, description: str, schema: type, price: float
) -> ModelSpec:
    return ModelSpec(
        model_id,
        "video",
        "seedance",
        description,
        schema,
        Price(price, "second"),
        default_timeout_s=3600,
        provider_model=f"{model_id}-{version}",
    )


SEEDANCE_MODELS: tuple[ModelSpec, ...] = (
    _seedance(
        "seedance-1-0-pro",
        "250528",
        "Seedance 1.0 Pro: text-to-video, or image-to-video from a first frame; 2-12 s, "
        "up to 1080p.",
        Seedance10ProInput,
        0.12,
    ),
    _seedance(
        "seedance-1-0-lite-t2v",
        "250428",
        "Seedance 1.0 Lite: text-to-video, 2-12 s.",
        Seedance10LiteT2VInput,
        0.039,
    ),
    _seedance(
        "seedance-1-5-pro",
        "251215",
        "Seedance 1.5 Pro: text- or image-to-video (first, or first and last frame) with "
        "sound, 4-12 s.",
        Seedance15ProInput,
        0.052,
    ),
)
