"""Request bodies of the OpenAI-compatible face, as OpenAI's API names them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Largest `input_reference` image accepted (it travels to the provider as a data: URI).
INPUT_REFERENCE_MAX_BYTES = 10 * 1024 * 1024


class CreateVideoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100)
    prompt: str = Field(min_length=1)
    seconds: str | int | None = Field(default=None, description='Duration, e.g. "4" or "8".')
    size: str | None = Field(default=None, description='"WIDTHxHEIGHT", e.g. "1280x720".')


class ImageGenerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100)
    prompt: str = Field(min_length=1)
    n: int = Field(default=1, ge=1, le=10)
    size: str | None = None
    response_format: Literal["url", "b64_json"] = "url"
    user: str | None = None
