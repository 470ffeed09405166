"""Models served by Tripo (Tripo3D apiv3): text-to-3D, and image-to-3D when an image is given.

Prices follow docs.tripo3d.ai/get-started/pricing ($1 = 100 credits): a textured text-to-model
task costs 20 credits ($0.20), an untextured one 10; image-to-model 20-30 credits. The catalog
has one price per model, so it lists the default (a textured text-to-3D task); the v3.0 price
is an estimate (the pricing page names model families, not versions).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from mediagate.catalog.inputs import ImageRef, ModelInput, prompt
from mediagate.catalog.spec import ModelSpec, Price


class TripoInput(ModelInput):
    prompt: str = prompt(1024)
    negative_prompt: str | None = Field(default=None, max_length=255)
    image: ImageRef | None = Field(
        default=None,
        description="URL of an image to turn into a model (image-to-3D; Tripo then takes no "
        "prompt, so the prompt only names the task).",
    )
    texture: bool = Field(default=True, description="Texture the model.")
    pbr: bool = Field(default=True, description="PBR materials (Tripo then textures too).")
    model_seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    texture_seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    face_limit: int | None = Field(default=None, ge=1, le=2_000_000)

    @field_validator("image")
    @classmethod
    def _url_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL: Tripo fetches the image itself")
        return value


TRIPO_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "tripo-v2.5",
        "model3d",
        "tripo",
        "Tripo v2.5: text-to-3D, or image-to-3D with `image`; a GLB mesh.",
        TripoInput,
        Price(0.20, "task"),
        default_timeout_s=900,
        provider_model="v2.5-20250123",
    ),
    ModelSpec(
        "tripo-v3.0",
        "model3d",
        "tripo",
        "Tripo v3.0: text-to-3D, or image-to-3D with `image`; a GLB mesh.",
        TripoInput,
        Price(0.20, "task"),
        default_timeout_s=900,
        provider_model="v3.0-20250812",
    ),
)
