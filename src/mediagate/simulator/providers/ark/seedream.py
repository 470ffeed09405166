"""Seedream image generation as ModelArk documents it: `POST /api/v3/images/generations`
answers with the images once they exist (synchronous), as URLs or base64.

Scenarios play at the call, the only one there is: `content_policy` refuses the prompt
(`InputTextSensitiveContentDetected`), `malformed` answers with something that is not the
documented JSON, `hang` never answers, `slow` answers late. Streaming (`stream: true`) is not
simulated and is refused.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import Simulator
from mediagate.simulator.jobs import Output, SimJob
from mediagate.simulator.outputs import scaled
from mediagate.simulator.providers.ark.common import (
    URL_TTL_S,
    Invalid,
    ark_error,
    boolean,
    choice,
    image_ref,
    integer,
    invalid,
    start,
)
from mediagate.simulator.scenarios import Scenario

PROVIDER = "seedream"
_WXH = re.compile(r"^(\d{2,5})x(\d{2,5})$")
#: A synchronous answer comes after this share of a simulated job's run time.
ANSWER_AFTER = 0.5


@dataclass(frozen=True)
class ImageModel:
    presets: dict[str, int] = field(default_factory=dict)  # 2K -> 2048 (a square by default)
    pixels: tuple[int, int] = (1280 * 720, 4096 * 4096)  # WxH: total pixels allowed
    side: tuple[int, int] = (14, 16384)
    default: str = "2048x2048"
    references: int = 14  # input images (0: text-to-image only)
    series: bool = True  # sequential_image_generation


_4K = {"1K": 1024, "2K": 2048, "4K": 4096}
MODELS = {
    "seedream-4-0-250828": ImageModel(_4K),
    "seedream-4-5-251128": ImageModel({"2K": 2048, "4K": 4096}, (2560 * 1440, 4096 * 4096)),
    "seedream-3-0-t2i-250415": ImageModel(
        {}, (512 * 512, 2048 * 2048), (512, 2048), "1024x1024", references=0, series=False
    ),
}


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    async def generate(request: Request) -> Response:
        started = await start(sim, PROVIDER, key, request, _prompt, _validate)
        if isinstance(started, Response):
            return started
        body, prompt, scenario = started.body, started.prompt, started.scenario
        model, size, count = started.valid
        if scenario is Scenario.CONTENT_POLICY:
            sim.record(PROVIDER, "submit", prompt, 400)
            return ark_error(400, "InputTextSensitiveContentDetected",
                             "The request failed because the input text may contain "
                             "sensitive information.")  # fmt: skip
        fmt = "png" if body.get("output_format") == "png" else "jpeg"
        job = sim.store.new(
            PROVIDER,
            model=model,
            prompt=prompt,
            scenario=scenario,
            outputs=[Output("image", fmt, *scaled(*size))] * count,
            owner=key,
            job_id=f"img-{secrets.token_hex(8)}",
        )
        sim.record(PROVIDER, "submit", prompt, 200, job=job.id)
        if scenario is Scenario.HANG:
            return await sim.hang(request)
        await asyncio.sleep(job.run_s * ANSWER_AFTER)
        if scenario is Scenario.MALFORMED:
            if sim.count(PROVIDER, "submit", prompt) % 2:
                return Response("<html><body>502 Bad Gateway</body></html>",
                                media_type="text/html")  # fmt: skip
            return JSONResponse({"model": model, "created": int(time.time()), "result": "ok"})
        return JSONResponse(await _answer(sim, request, job, body.get("response_format")))

    return [Route("/api/v3/images/generations", generate, methods=["POST"])]


def _validate(body: Any) -> tuple[str, tuple[int, int], int]:
    """The model, the output size and the number of images, or `Invalid`."""
    if not isinstance(body, dict):
        raise Invalid("", "The request body is not valid JSON.")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise Invalid("model", "The request is missing the parameter `model`.", "MissingParameter")
    model = MODELS.get(model_id)
    if model is None:
        raise Invalid("model", f"The model or endpoint {model_id} does not exist or you do not "
                      "have access to it.", "InvalidEndpointOrModel.NotFound", 404)  # fmt: skip
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Invalid("prompt", "The request is missing the parameter `prompt`.",
                      "MissingParameter")  # fmt: skip
    images = body.get("image")
    images = [] if images is None else images if isinstance(images, list) else [images]
    for index, image in enumerate(images):
        image_ref(f"image[{index}]", image)
    if len(images) > model.references:
        raise invalid("image", f"{model_id} takes at most {model.references} images")
    size = _size(model, body.get("size"))
    choice(body, "response_format", ("url", "b64_json"))
    choice(body, "output_format", ("png", "jpeg"))
    integer(body, "seed", -1, 2147483647)
    boolean(body, "watermark", "optimize_prompt", "layer_decomposition")
    if body.get("stream"):
        raise invalid("stream", "streaming is not supported by the simulator")
    guidance = body.get("guidance_scale")
    if guidance is not None and (not isinstance(guidance, int | float) or not 1 <= guidance <= 10):
        raise invalid("guidance_scale", "must be a number in [1, 10]")
    count = 1
    if choice(body, "sequential_image_generation", ("auto", "disabled")) == "auto":
        if not model.series:
            raise invalid("sequential_image_generation", f"{model_id} does not support it")
        options = body.get("sequential_image_generation_options") or {}
        most = options.get("max_images", 15) if isinstance(options, dict) else None
        if not isinstance(most, int) or isinstance(most, bool) or not 1 <= most <= 15:
            raise invalid("sequential_image_generation_options.max_images", "must be in [1, 15]")
        if len(images) + most > 15:
            raise invalid("sequential_image_generation_options.max_images",
                          "input images plus generated images must be at most 15")  # fmt: skip
        count = most  # the model may make fewer; the simulator makes them all
    return model_id, size, count


def _size(model: ImageModel, value: Any) -> tuple[int, int]:
    value = model.default if value is None else value
    if value in model.presets:
        side = model.presets[value]
        return side, side
    match = _WXH.match(value) if isinstance(value, str) else None
    if match is None:
        presets = ", ".join(model.presets)
        raise invalid("size", f"must be {presets + ' or ' if presets else ''}WIDTHxHEIGHT")
    width, height = int(match[1]), int(match[2])
    low, high = model.pixels
    if not low <= width * height <= high or not 1 / 16 <= width / height <= 16:
        raise invalid("size", f"width x height must be in [{low}, {high}], aspect 1:16 to 16:1")
    if not all(model.side[0] <= s <= model.side[1] for s in (width, height)):
        raise invalid("size", f"each side must be in [{model.side[0]}, {model.side[1]}]")
    return width, height


async def _answer(sim: Simulator, request: Request, job: SimJob, fmt: Any) -> dict[str, Any]:
    if fmt == "b64_json":
        paths = await sim.outputs.ensure(job)
        data = [{"b64_json": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    else:
        data = [{"url": url} for url in await sim.outputs.urls(request, job, URL_TTL_S)]
    for item, output in zip(data, job.outputs, strict=True):
        item["size"] = f"{output.width}x{output.height}"
    tokens = sum(o.width * o.height for o in job.outputs) // 256
    return {
        "model": job.model,
        "created": int(job.created_at),
        "data": data,
        "usage": {"generated_images": len(data), "output_tokens": tokens, "total_tokens": tokens},
    }


def _prompt(body: Any) -> str:
    prompt = body.get("prompt") if isinstance(body, dict) else None
    return prompt if isinstance(prompt, str) else ""
