"""Seedream image models on BytePlus ModelArk: text-to-image, and image editing when `image`
is given (one synchronous call, `POST /api/v3/images/generations`). Prices per output image
(BytePlus billing page: 4.0 $0.03, 4.5 $0.04)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price

_WXH = re.compile(r"^([1-9][0-9]{2,4})x([1-9][0-9]{2,4})$")


def check_size(value: str, presets: tuple[str, ...], min_pixels: int, max_pixels: int) -> str:
    """`value` is one of `presets` (1K/2K/4K: the model picks the aspect) or WIDTHxHEIGHT
    within the model's pixel range and an aspect ratio between 1:16 and 16:1."""
    if value in presets:
        return value
    match = _WXH.match(value)
    if match is None:
        raise ValueError(f"must be one of {', '.join(presets)} or WIDTHxHEIGHT, e.g. 2048x2048")
    width, height = int(match[1]), int(match[2])
    if not min_pixels <= width * height <= max_pixels:
        raise ValueError(f"width x height must be between {min_pixels} and {max_pixels} pixels")
    if not 1 / 16 <= width / height <= 16:
        raise ValueError("the aspect ratio must be between 1:16 and 16:1")
    return value


class _SeedreamInput(ModelInput):
    prompt: str = prompt(4000)
    image: list[ImageRef] = Field(
        default_factory=list, max_length=14, description="Images to edit or refer to."
    )
    seed: int | None = Field(default=None, ge=-1, le=2147483647)
    watermark: bool = False
    max_images: int = Field(
        default=1, ge=1, le=15, description="Up to this many related images (a series)."
    )

    @model_validator(mode="after")
    def _at_most_15(self) -> _SeedreamInput:
        if len(self.image) + self.max_images > 15:
            raise ValueError("input images plus max_images must be at most 15")
        return self


class Seedream40Input(_SeedreamInput):
    size: str = Field(default="2K", description="1K, 2K, 4K, or WIDTHxHEIGHT.")

    @field_validator("size")
    @classmethod
    def _size(cls, value: Any) -> str:
        return check_size(value, ("1K", "2K", "4K"), 1280 * 720, 4096 * 4096)


class Seedream45Input(_SeedreamInput):
    size: str = Field(default="2K", description="2K, 4K, or WIDTHxHEIGHT.")

    @field_validator("size")
    @classmethod
    def _size(cls, value: Any) -> str:
        return check_size(value, ("2K", "4K"), 2560 * 1440, 4096 * 4096)


SEEDREAM_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "seedream-4-0",
        "image",
        "seedream",
        "Seedream 4.0: text-to-image, or image editing with `image`; up to 4K.",
        Seedream40Input,
        Price(0.03, "image"),
        default_timeout_s=600,
        provider_model="seedream-4-0-250828",
    ),
    ModelSpec(
        "seedream-4-5",
        "image",
        "seedream",
        "Seedream 4.5: text-to-image, or image editing with `image`; 2K or 4K.",
        Seedream45Input,
        Price(0.04, "image"),
        default_timeout_s=600,
        provider_model="seedream-4-5-251128",
    ),
)
