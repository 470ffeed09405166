"""Seedream image generation: `POST /images/generations` answers with the images at once
(synchronous). The submit makes that call and returns a job id that carries the output URLs
(`sync:` + JSON); `poll` only decodes it. The URLs stay valid for 24 hours and the engine copies
them at the first poll."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from mediagate.catalog.seedream_models import SEEDREAM_MODELS
from mediagate.catalog.spec import ModelSpec
from mediagate.providers.answers import Answer
from mediagate.providers.ark.base import ArkProvider, error_code, error_fields
from mediagate.providers.base import (
    JobNotFound,
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    SubmitRequest,
)
from mediagate.providers.http import Malformed

PREFIX = "sync:"
#: How much longer than an ordinary call a generation may take to answer (it answers only
#: once the images exist: 120 s with the default 30 s provider time limit).
SYNC_TIMEOUT_FACTOR = 4


class SeedreamProvider(ArkProvider):
    name = "seedream"

    def models(self) -> Sequence[ModelSpec]:
        return SEEDREAM_MODELS

    async def submit(self, request: SubmitRequest) -> str:
        body = await self.http.call(
            "POST",
            "/images/generations",
            json=generation_body(request.model.native_id, request.input),
            timeout_s=self.connection.timeout_s * SYNC_TIMEOUT_FACTOR,
        )
        return PREFIX + orjson.dumps(image_urls(Answer(self.name, body))).decode()

    async def poll(self, job_id: str) -> JobStatus:
        if not job_id.startswith(PREFIX):
            raise JobNotFound(f"seedream has no job {job_id[:40]!r} (it answers synchronously)")
        try:
            urls = orjson.loads(job_id[len(PREFIX) :])
        except orjson.JSONDecodeError:
            raise JobNotFound("the stored seedream result is not readable") from None
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise JobNotFound("the stored seedream result is not a list of URLs")
        outputs = [JobOutput(url=url) for url in urls]
        return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)


def generation_body(model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "prompt": params["prompt"],
        "size": params.get("size"),
        "response_format": "url",
        "seed": params.get("seed"),
        "watermark": params.get("watermark", False),
    }
    images = params.get("image") or []
    if images:
        body["image"] = images[0] if len(images) == 1 else list(images)
    max_images = params.get("max_images", 1)
    body["sequential_image_generation"] = "auto" if max_images > 1 else "disabled"
    if max_images > 1:
        body["sequential_image_generation_options"] = {"max_images": max_images}
    return {k: v for k, v in body.items() if v is not None}


def image_urls(answer: Answer) -> list[str]:
    """The URLs of the generated images. In a series, an image may fail on its own
    (`data[i].error`); the others are kept, and if none is left the first error decides."""
    items = answer.items("data")
    if not items:
        raise Malformed("seedream", "data is missing or empty")
    urls, errors = [], []
    for item in items:
        if item.get("error", dict):
            errors.append(error_fields({"error": item.get("error", dict)}))
        else:
            urls.append(item.need("url", str))
    if urls:
        return urls
    code, message, _ = errors[0]
    mapped = error_code(code)
    raise ProviderError(
        mapped if mapped != "PROVIDER_UNAVAILABLE" else "PROVIDER_ERROR",
        f"seedream generated no image: {code or 'error'}: {message}",
    )
