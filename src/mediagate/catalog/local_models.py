"""Input models of the offline `local` provider's models.

Prices are nominal, so that billing can be exercised with no provider account; sandbox keys
(`mg_test_`) are never charged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediagate.catalog.spec import ModelSpec, Price

_PROMPT = Field(min_length=1, max_length=4000, description="What to generate; it seeds the output.")
_RENDER = Field(
    default=0.0,
    ge=0,
    le=3600,
    description="How long the render should take, in seconds (to watch states in demos/tests).",
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalImageInput(_Input):
    prompt: str = _PROMPT
    width: int = Field(default=512, ge=16, le=4096)
    height: int = Field(default=512, ge=16, le=4096)
    format: Literal["png", "jpeg", "webp"] = "png"
    render_seconds: float = _RENDER


class LocalVideoInput(_Input):
    prompt: str = _PROMPT
    duration: float = Field(default=4.0, gt=0, le=60, description="Seconds.")
    width: int = Field(default=640, ge=16, le=1920, multiple_of=2)
    height: int = Field(default=360, ge=16, le=1080, multiple_of=2)
    fps: int = Field(default=24, ge=1, le=60)
    render_seconds: float = _RENDER


class LocalAudioInput(_Input):
    prompt: str = _PROMPT
    duration: float = Field(default=5.0, gt=0, le=600, description="Seconds.")
    format: Literal["wav", "mp3"] = "wav"
    render_seconds: float = _RENDER


class LocalModel3DInput(_Input):
    prompt: str = _PROMPT
    render_seconds: float = _RENDER


LOCAL_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "local-image",
        "image",
        "local",
        "Offline procedural image (PNG, JPEG or WebP) seeded by the prompt.",
        LocalImageInput,
        Price(0.002, "image"),
        default_timeout_s=300,
    ),
    ModelSpec(
        "local-video",
        "video",
        "local",
        "Offline procedural H.264 MP4 with moving content, seeded by the prompt.",
        LocalVideoInput,
        Price(0.01, "second"),
        default_timeout_s=900,
    ),
    ModelSpec(
        "local-audio",
        "audio",
        "local",
        "Offline speech-like audio (WAV or MP3) seeded by the prompt.",
        LocalAudioInput,
        Price(0.001, "second"),
        default_timeout_s=600,
    ),
    ModelSpec(
        "local-music",
        "music",
        "local",
        "Offline melodic music (WAV or MP3) seeded by the prompt.",
        LocalAudioInput,
        Price(0.002, "second"),
        default_timeout_s=600,
    ),
    ModelSpec(
        "local-3d",
        "model3d",
        "local",
        "Offline binary glTF (GLB) mesh seeded by the prompt.",
        LocalModel3DInput,
        Price(0.02, "task"),
        default_timeout_s=300,
    ),
)
