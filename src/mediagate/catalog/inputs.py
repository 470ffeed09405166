"""Building blocks of the models' input schemas, shared by every provider's catalog module."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mediagate.core.urls import http_url


class ModelInput(BaseModel):
    """An input schema: unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


def prompt(max_length: int = 2000, **kwargs: Any) -> Any:
    return Field(min_length=1, max_length=max_length, description="What to generate.", **kwargs)


def _image_ref(value: str) -> str:
    if value.startswith("data:image/") and ";base64," in value[:40]:
        return value
    if value.startswith(("https://", "http://")):
        http_url(value)  # parsed as it will be fetched (by the gateway or the provider)
        return value
    raise ValueError("must be an http(s) URL or a data:image/...;base64, URI")


#: An input image: a public URL or a base64 data URI.
ImageRef = Annotated[str, AfterValidator(_image_ref)]
