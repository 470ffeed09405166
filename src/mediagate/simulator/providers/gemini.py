"""The Gemini API (Developer mode) as google-genai 2.34.0 speaks it: Veo's
`POST /v1beta/models/{m}:predictLongRunning`, `GET /v1beta/models/{m}/operations/{id}` and
`GET /v1beta/files/{id}:download?alt=media`; Gemini images' synchronous
`POST /v1beta/models/{m}:generateContent` with the image inline.

Auth as Google checks it: `x-goog-api-key` (or `?key=`); a missing key is 403
PERMISSION_DENIED, a wrong one 400 INVALID_ARGUMENT with reason API_KEY_INVALID. Errors are
Google's `{"error": {"code", "message", "status", "details"?}}`. The wording of validation
messages is modelled on Google's (exact strings unconfirmed). Operations report no queue or
progress (the real API has none); generated videos stay downloadable for two days.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import HTML_ERROR, Simulator
from mediagate.simulator.jobs import Output, Phase, SimJob
from mediagate.simulator.outputs import scaled
from mediagate.simulator.requests import read_json
from mediagate.simulator.scenarios import RETRY_AFTER_S, Scenario, scenario_of

PROVIDER = "gemini"
#: The host named in generated files' URIs (the SDK and the adapter rewrite it to their base).
API_HOST = "https://generativelanguage.googleapis.com"
VIDEO_TTL_S = 2 * 24 * 3600.0
VEO_MODELS = ("veo-3.1-fast-generate-preview", "veo-3.1-generate-preview")
IMAGE_MODELS = ("gemini-2.5-flash-image",)
_VIDEO_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
}
_IMAGE_SIZES = {"1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832),
                "3:4": (864, 1184), "4:3": (1184, 864), "4:5": (896, 1152),
                "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768),
                "21:9": (1536, 672)}  # fmt: skip
_INPUT_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
_VEO_PARAMETERS = {
    "aspectRatio", "durationSeconds", "resolution", "negativePrompt", "personGeneration",
    "sampleCount", "enhancePrompt",
}  # fmt: skip
_RPC_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}  # fmt: skip


def _error(status: int, message: str, reason: str | None = None, **headers: str) -> Response:
    error: dict[str, Any] = {"code": status, "message": message, "status": _RPC_STATUS[status]}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    if status == 429:  # Google says when to retry in the body, with no Retry-After header
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{RETRY_AFTER_S}s"}
        ]
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _not_served(model: str, method: str) -> Response:
    return _error(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods.",
    )


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    def refused_key(request: Request) -> Response | None:
        sent = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not sent:
            return _error(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if sent != key:
            return _error(400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
        return None

    def failure(scenario: Scenario, subject: str) -> Response | None:
        failing = sim.failure_now(scenario, subject)
        if failing is Scenario.RATE_LIMIT:
            return _error(429, "Resource has been exhausted (e.g. check quota).")
        if failing is Scenario.SERVER_ERROR:
            return _error(503, "The model is overloaded. Please try again later.")
        return None

    def submit_refusal(
        request: Request,
        prompt: object,
        scenario: Scenario,
        model: str,
        served: Collection[str],
        method: str,
        problem: Callable[[], str | None],
    ) -> Response | None:
        """A start refused as Google would (key, scenario's 429/5xx run, model, body), in that
        order, and recorded; None: go ahead."""
        refused = refused_key(request) or failure(scenario, f"submit:{prompt}")
        if refused is None and model not in served:
            refused = _not_served(model, method)
        if refused is None and (text := problem()) is not None:
            refused = _error(400, text)
        if refused is not None:
            sim.record(PROVIDER, "submit", str(prompt), refused.status_code)
        return refused

    async def predict(request: Request) -> Response:
        """Veo: start a long-running operation."""
        model = request.path_params["model"]
        body = await read_json(request)
        instance = _instance(body)
        prompt = instance.get("prompt") if instance else None
        scenario = scenario_of(prompt)
        refused = submit_refusal(request, prompt, scenario, model, VEO_MODELS,
                                 "predictLongRunning", lambda: _veo_problem(body))  # fmt: skip
        if refused is not None:
            return refused
        assert isinstance(body, dict) and instance is not None
        parameters = body.get("parameters") or {}
        ratio = parameters.get("aspectRatio", "16:9")
        size = _VIDEO_SIZES[(ratio, parameters.get("resolution", "720p"))]
        duration = float(parameters.get("durationSeconds", 8))
        job = sim.store.new(
            PROVIDER,
            model=model,
            prompt=str(prompt or ""),
            scenario=scenario,
            # Veo 3 videos have sound (dialogue, effects, music): always.
            outputs=[Output("video", "mp4", *scaled(*size), duration, audio=True)],
            params={"parameters": parameters, "image": "image" in instance},
            owner=key,
            job_id=secrets.token_hex(8),  # lower-case alphanumeric, like Google's ids
        )
        sim.record(PROVIDER, "submit", job.prompt, 200, job=job.id)
        return JSONResponse({"name": f"models/{model}/operations/{job.id}"})

    async def operation(request: Request) -> Response:
        model, op_id = request.path_params["model"], request.path_params["op_id"]
        if (refused := refused_key(request)) is not None:
            sim.record(PROVIDER, "poll", op_id, refused.status_code)
            return refused
        job = sim.store.get(PROVIDER, op_id, owner=key)
        if job is None or job.model != model:
            sim.record(PROVIDER, "poll", op_id, 404)
            return _error(404, f"Operation not found: models/{model}/operations/{op_id}")

        async def answer() -> Response:
            return JSONResponse(_operation(job))

        return await sim.poll(PROVIDER, request, job, failure=failure, answer=answer,
                              malformed=MALFORMED_JSON)  # fmt: skip

    async def download(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if (refused := refused_key(request)) is not None:
            sim.record(PROVIDER, "fetch", file_id, refused.status_code)
            return refused
        job = sim.store.get(PROVIDER, file_id, owner=key)
        expired = job is not None and time.time() > job.done_at + VIDEO_TTL_S
        if job is None or job.phase() is not Phase.SUCCEEDED or expired:
            sim.record(PROVIDER, "fetch", file_id, 404)
            return _error(404, f"File {file_id} not found.")
        if request.query_params.get("alt") != "media":
            sim.record(PROVIDER, "fetch", file_id, 400)
            return _error(400, "Download requires alt=media.")
        sim.record(PROVIDER, "fetch", job.id, 200)
        paths = await sim.outputs.ensure(job)
        return FileResponse(paths[0], media_type="video/mp4")

    async def generate(request: Request) -> Response:
        """Gemini images: generate synchronously, answer with the image inline."""
        model = request.path_params["model"]
        body = await read_json(request)
        prompt = _first_text(body)
        scenario = scenario_of(prompt)
        refused = submit_refusal(request, prompt, scenario, model, IMAGE_MODELS,
                                 "generateContent", lambda: _content_problem(body))  # fmt: skip
        if refused is not None:
            return refused
        assert isinstance(body, dict) and prompt is not None
        sim.record(PROVIDER, "submit", prompt, 200)
        if scenario is Scenario.HANG:
            return await sim.hang(request)
        if scenario is Scenario.MALFORMED:
            return _malformed(sim.count(PROVIDER, "submit", prompt))
        if scenario is Scenario.CONTENT_POLICY:
            return JSONResponse(_blocked(model))
        config = body.get("generationConfig") or {}
        ratio = (config.get("imageConfig") or {}).get("aspectRatio", "1:1")
        job = sim.store.new(
            PROVIDER,
            model=model,
            prompt=prompt,
            scenario=scenario,
            outputs=[Output("image", "png", *scaled(*_IMAGE_SIZES[ratio]))],
            owner=key,
            job_id=f"img{secrets.token_hex(8)}",
        )
        paths = await sim.outputs.ensure(job)
        return JSONResponse(_generated(model, paths[0].read_bytes()))

    return [
        Route("/v1beta/models/{model}:predictLongRunning", predict, methods=["POST"]),
        Route("/v1beta/models/{model}:generateContent", generate, methods=["POST"]),
        Route("/v1beta/models/{model}/operations/{op_id}", operation, methods=["GET"]),
        Route("/v1beta/files/{file_id}:download", download, methods=["GET"]),
    ]


def _instance(body: Any) -> dict[str, Any] | None:
    instances = body.get("instances") if isinstance(body, dict) else None
    if isinstance(instances, list) and instances and isinstance(instances[0], dict):
        return instances[0]
    return None


def _image_problem(image: Any, where: str) -> str | None:
    if not isinstance(image, dict):
        return f"{where} must be an object."
    mime_type = image.get("mimeType", image.get("mime_type"))
    data = image.get("bytesBase64Encoded", image.get("data"))
    if mime_type not in _INPUT_IMAGE_TYPES:
        return f"Unsupported MIME type: {mime_type}"
    if not isinstance(data, str):
        return f"{where} has no image bytes."
    standard = data.rstrip("=").replace("-", "+").replace("_", "/")
    try:  # proto3 JSON bytes: standard or URL-safe base64, padded or not
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed."
    return None if raw else f"{where} has no image bytes."


def _veo_problem(body: Any) -> str | None:
    """Why the real API would refuse this predictLongRunning body, or None."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received."
    for name in body:
        if name not in ("instances", "parameters"):
            return f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1:
        return "instances must hold exactly one instance."
    instance = instances[0]
    if not isinstance(instance, dict):
        return "instances[0] must be an object."
    prompt = instance.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        return "instances[0].prompt must be a string."
    if not (prompt or "").strip() and "image" not in instance:
        return "A prompt or an image is required."
    if "image" in instance and (problem := _image_problem(instance["image"], "image")):
        return problem
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        return "parameters must be an object."
    for name in parameters:
        if name not in _VEO_PARAMETERS:
            return f"`{name}` isn't supported by this model."
    ratio = parameters.get("aspectRatio", "16:9")
    resolution = parameters.get("resolution", "720p")
    duration = parameters.get("durationSeconds", 8)
    if ratio not in ("16:9", "9:16"):
        return f"Aspect ratio {ratio!r} is not supported. Supported: 16:9, 9:16."
    if resolution not in ("720p", "1080p"):
        return f"Resolution {resolution!r} is not supported. Supported: 720p, 1080p."
    if duration not in (4, 6, 8) or isinstance(duration, bool):
        return f"The duration {duration!r} is out of bounds. Supported durations: 4, 6, 8."
    if resolution == "1080p" and duration != 8:
        return "1080p videos must be 8 seconds long (durationSeconds: 8)."
    if parameters.get("sampleCount", 1) != 1:
        return "sampleCount must be 1 for this model."
    if parameters.get("personGeneration", "allow_all") not in (
        "allow_all",
        "allow_adult",
        "dont_allow",
    ):
        return "personGeneration must be allow_all, allow_adult or dont_allow."
    if not isinstance(parameters.get("negativePrompt", ""), str):
        return "negativePrompt must be a string."
    return None


def _first_text(body: Any) -> str | None:
    contents = body.get("contents") if isinstance(body, dict) else None
    for content in contents if isinstance(contents, list) else []:
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                return part["text"]
    return None


def _content_problem(body: Any) -> str | None:
    """Why the real API would refuse this generateContent body, or None."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received."
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    for content in contents:
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(parts, list) or not parts:
            return "* GenerateContentRequest.contents.parts: contents.parts must not be empty."
        for part in parts:
            if not isinstance(part, dict):
                return "* GenerateContentRequest.contents.parts: a part must be an object."
            if "inlineData" in part:
                if problem := _image_problem(part["inlineData"], "inline_data"):
                    return problem
            elif not isinstance(part.get("text"), str) or not part["text"].strip():
                return "Unable to submit request because it has an empty text parameter."
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        return "generationConfig must be an object."
    modalities = config.get("responseModalities", ["TEXT", "IMAGE"])
    if not isinstance(modalities, list) or any(
        not isinstance(m, str) or m.upper() not in ("TEXT", "IMAGE") for m in modalities
    ):
        return f"Invalid value at 'generation_config.response_modalities': {modalities!r}"
    if "IMAGE" not in [m.upper() for m in modalities]:
        return "Model gemini-2.5-flash-image only supports text and image as response modality."
    ratio = (config.get("imageConfig") or {}).get("aspectRatio", "1:1")
    if ratio not in _IMAGE_SIZES:
        return f"Aspect ratio {ratio!r} is not supported."
    return None


def _operation(job: SimJob) -> dict[str, Any]:
    name = f"models/{job.model}/operations/{job.id}"
    phase = job.phase()
    if phase in (Phase.QUEUED, Phase.RUNNING):
        return {"name": name}  # `done: false` is left out, as proto3 JSON does
    if phase is Phase.UNKNOWN:  # done, with neither a response nor an error: undocumented
        return {"name": name, "done": True}
    if phase is Phase.CANCELLED:
        return {"name": name, "done": True, "error": {"code": 1, "message": "Cancelled."}}
    result: dict[str, Any] = {}
    if phase is Phase.SUCCEEDED:
        uri = f"{API_HOST}/v1beta/files/{job.id}:download?alt=media"
        result["generatedSamples"] = [{"video": {"uri": uri}}]
    else:  # BANNED: the output was withheld by the safety filters
        result["raiMediaFilteredCount"] = 1
        result["raiMediaFilteredReasons"] = [
            "Veo could not generate videos because the input prompt violates Google's "
            "Responsible AI practices."
        ]
    return {
        "name": name,
        "done": True,
        "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
            "PredictLongRunningResponse",
            "generateVideoResponse": result,
        },
    }


def _usage() -> dict[str, Any]:
    return {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302}


def _generated(model: str, png: bytes) -> dict[str, Any]:
    inline = {"mimeType": "image/png", "data": base64.b64encode(png).decode()}
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"inlineData": inline}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": _usage(),
        "modelVersion": model,
        "responseId": secrets.token_urlsafe(12),
    }


def _blocked(model: str) -> dict[str, Any]:
    return {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": model,
        "responseId": secrets.token_urlsafe(12),
    }


#: JSON that is not the documented shape of any answer.
MALFORMED_JSON = {"name": 42, "done": "yes", "candidates": "none"}


def _malformed(count: int) -> Response:
    """Alternately an HTML error page and JSON that is not the documented shape."""
    if count % 2:
        return Response(HTML_ERROR, media_type="text/html")
    return JSONResponse(MALFORMED_JSON)
