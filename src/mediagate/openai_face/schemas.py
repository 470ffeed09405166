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


# Answers, as OpenAI's API shapes them (for the OpenAPI document; built by `serialize`).


class VideoError(BaseModel):
    code: str
    message: str


class Video(BaseModel):
    id: str
    object: Literal["video"]
    model: str
    status: Literal["queued", "in_progress", "completed", "failed"]
    progress: int = Field(ge=0, le=100)
    created_at: int
    completed_at: int | None
    expires_at: int | None
    seconds: str | None
    size: str | None
    prompt: str | None
    error: VideoError | None


class VideoList(BaseModel):
    object: Literal["list"]
    data: list[Video]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeleted(BaseModel):
    id: str
    object: Literal["video.deleted"]
    deleted: Literal[True]


class GeneratedImage(BaseModel):
    url: str | None = None
    b64_json: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[GeneratedImage]
