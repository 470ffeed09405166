"""Vidu as documented (platform.vidu.com/docs): `POST /ent/v2/{text2video,img2video,
reference2image}`, `GET /ent/v2/tasks/{id}/creations`, `POST /ent/v2/tasks/{id}/cancel`;
`Authorization: Token <key>`; errors `{"code", "reason", "message", "metadata"}`.

Moderation (`[sim:content_policy]`): image-to-video refuses the submit (`AuditSubmitIllegal`,
the input audit); the other tasks fail at the end (`CreationPolicyViolation`, the output audit).
Cancel works while the task waits (`created`/`queueing`), and is refused once it is scheduled.
Image inputs are checked for form only, never fetched.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import Simulator
from mediagate.simulator.jobs import Output, Phase, SimJob
from mediagate.simulator.outputs import scaled
from mediagate.simulator.requests import bearer, read_json
from mediagate.simulator.scenarios import RETRY_AFTER_S, Scenario, scenario_of

PROVIDER = "vidu"
URL_TTL_S = 24 * 3600.0
_DURATIONS = {"viduq3-turbo": (1, 16), "viduq3-pro": (1, 16), "viduq2": (1, 10), "viduq1": (5, 5)}
_RATIOS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "3:4": (1080, 1440),
           "4:3": (1440, 1080)}  # fmt: skip
_VIDEO_RES = ("540p", "720p", "1080p")
_IMAGE_RES = ("1080p", "2K", "4K")
_TYPES = {"/ent/v2/text2video": "text2video", "/ent/v2/img2video": "img2video",
          "/ent/v2/reference2image": "reference2image"}  # fmt: skip


def _error(status: int, reason: str, message: str, **headers: str) -> Response:
    body = {"code": status, "reason": reason, "message": message,
            "metadata": {"trace_id": secrets.token_hex(16)}}  # fmt: skip
    return JSONResponse(body, status_code=status, headers=headers)


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    def failure(scenario: Scenario, subject: str) -> Response | None:
        failing = sim.failure_now(scenario, subject)
        if failing is Scenario.RATE_LIMIT:
            return _error(429, "TooManyRequests", "too many requests",
                          **{"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip
        if failing is Scenario.SERVER_ERROR:
            return _error(500, "InternalServiceFailure", "internal service failure")
        return None

    def unauthorized() -> Response:
        return _error(401, "Unauthorized", "invalid token")

    async def create(request: Request) -> Response:
        kind = _TYPES[request.url.path]
        if bearer(request, "Token") != key:
            sim.record(PROVIDER, "submit", "", 401)
            return unauthorized()
        body = await read_json(request)
        prompt = body.get("prompt") if isinstance(body, dict) else None
        scenario = scenario_of(prompt)
        refused = failure(scenario, f"submit:{prompt}")
        if refused is None:
            refused = _validate(kind, body)
        if refused is None and scenario is Scenario.CONTENT_POLICY and kind == "img2video":
            refused = _error(400, "AuditSubmitIllegal", "the input did not pass the audit")
        if refused is not None:
            sim.record(PROVIDER, "submit", str(prompt), refused.status_code)
            return refused
        assert isinstance(body, dict)
        job = sim.store.new(
            PROVIDER,
            model=body["model"],
            prompt=body.get("prompt") or "",
            scenario=scenario,
            outputs=[_output(kind, body)],
            params={**body, "type": kind, "seed": body.get("seed") or secrets.randbelow(2**31)},
            client_ref=body.get("payload"),
            owner=key,
            job_id=str(800_000_000_000_000_000 + secrets.randbelow(10**17)),
        )
        sim.record(PROVIDER, "submit", job.prompt, 200, job=job.id)
        return JSONResponse(_created(job))

    def known_job(request: Request, action: str) -> SimJob | Response:
        """The caller's job named in the path, or the refusal (recorded) Vidu would answer."""
        job_id = request.path_params["id"]
        if bearer(request, "Token") != key:
            sim.record(PROVIDER, action, job_id, 401)
            return unauthorized()
        job = sim.store.get(PROVIDER, job_id, owner=key)
        if job is None:
            sim.record(PROVIDER, action, job_id, 404)
            return _error(404, "TaskNotFound", "task not found")
        return job

    async def creations(request: Request) -> Response:
        job = known_job(request, "poll")
        if isinstance(job, Response):
            return job

        async def answer() -> Response:
            return JSONResponse(await _task(sim, request, job))

        return await sim.poll(PROVIDER, request, job, failure=failure, answer=answer,
                              malformed={"id": job.id, "status": {"ok": True}})  # fmt: skip

    async def cancel(request: Request) -> Response:
        job = known_job(request, "cancel")
        if isinstance(job, Response):
            return job
        if job.phase() is not Phase.QUEUED:
            sim.record(PROVIDER, "cancel", job.id, 400)
            return _error(400, "BadRequest", "task state is scheduled, can not cancel")
        sim.store.cancel(job)
        sim.record(PROVIDER, "cancel", job.id, 200)
        return JSONResponse({})

    return [
        *(Route(path, create, methods=["POST"]) for path in _TYPES),
        Route("/ent/v2/tasks/{id}/creations", creations, methods=["GET"]),
        Route("/ent/v2/tasks/{id}/cancel", cancel, methods=["POST"]),
    ]


def _validate(kind: str, body: Any) -> Response | None:
    """The refusal Vidu answers for a request it does not accept, or None."""
    if not isinstance(body, dict):
        return _error(400, "BadRequest", "request body must be a JSON object")
    model, prompt = body.get("model"), body.get("prompt")
    if not isinstance(model, str) or not model:
        return _error(400, "FieldLacking", "field model is required")
    if prompt is not None and not isinstance(prompt, str):
        return _error(400, "FieldInvalid", "field prompt must be a string")
    payload = body.get("payload", "")
    if not isinstance(payload, str) or len(payload) > 1_048_576:
        return _error(400, "FieldInvalid", "payload must be a string of at most 1048576 chars")
    if kind == "reference2image":
        return _validate_image(body)
    if model not in _DURATIONS:
        return _error(400, "FieldInvalid", f"model {model} is not supported for {kind}")
    if kind == "text2video" and not (prompt or "").strip():
        return _error(400, "FieldLacking", "field prompt is required")
    if len(prompt or "") > 5000:
        return _error(400, "FieldInvalid", "prompt must be at most 5000 characters")
    low, high = _DURATIONS[model]
    duration = body.get("duration", low if low == high else 5)
    if not isinstance(duration, int) or isinstance(duration, bool) or not low <= duration <= high:
        return _error(400, "FieldInvalid", f"duration must be {low}-{high} for {model}")
    if body.get("resolution", "720p") not in _VIDEO_RES:
        return _error(400, "FieldInvalid", "resolution must be one of 540p, 720p, 1080p")
    if kind == "text2video" and body.get("aspect_ratio", "16:9") not in _RATIOS:
        return _error(400, "FieldInvalid", "aspect_ratio is not supported")
    if "audio" in body and not model.startswith("viduq3"):
        return _error(400, "FieldUnwanted", f"audio is not supported by {model}")
    if kind == "img2video":
        images = body.get("images")
        if not isinstance(images, list) or len(images) != 1:
            return _error(400, "FieldItemCountOutOfRange", "images must hold exactly 1 image")
        return _check_images(images)
    return None


def _validate_image(body: dict[str, Any]) -> Response | None:
    if body["model"] not in ("viduq2", "viduq1"):
        return _error(400, "FieldInvalid", f"model {body['model']} is not supported")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _error(400, "FieldLacking", "field prompt is required")
    if len(prompt) > 2000:
        return _error(400, "FieldInvalid", "prompt must be at most 2000 characters")
    images = body.get("images", [])
    low = 1 if body["model"] == "viduq1" else 0
    if not isinstance(images, list) or not low <= len(images) <= 7:
        return _error(400, "FieldItemCountOutOfRange", f"images must hold {low}-7 images")
    if body.get("resolution", "1080p") not in _IMAGE_RES:
        return _error(400, "FieldInvalid", "resolution must be one of 1080p, 2K, 4K")
    if body.get("aspect_ratio", "16:9") not in _RATIOS:
        return _error(400, "FieldInvalid", "aspect_ratio is not supported")
    return _check_images(images)


def _check_images(images: list[Any]) -> Response | None:
    for image in images:
        if not isinstance(image, str) or not (
            image.startswith(("https://", "http://")) or image.startswith("data:image/")
        ):
            return _error(400, "ImageFormatInvalid", "images must be URLs or data:image URIs")
    return None


def _output(kind: str, body: dict[str, Any]) -> Output:
    if kind == "reference2image":
        return Output("image", "png", *scaled(*_RATIOS[body.get("aspect_ratio", "16:9")]))
    ratio = body.get("aspect_ratio", "16:9") if kind == "text2video" else "16:9"
    width, height = scaled(*_RATIOS[ratio])
    # Q3 videos have sound unless `audio` is false (Vidu's default is on).
    sound = body["model"].startswith("viduq3") and body.get("audio") is not False
    return Output("video", "mp4", width, height, float(body.get("duration", 5)), audio=sound)


def _created(job: SimJob) -> dict[str, Any]:
    answer = {k: v for k, v in job.params.items() if k not in ("callback_url",)}
    answer.update(task_id=job.id, state="created", credits=10, created_at=_iso(job.created_at))
    answer.setdefault("payload", "")
    return answer


async def _task(sim: Simulator, request: Request, job: SimJob) -> dict[str, Any]:
    phase = job.phase()
    data: dict[str, Any] = {
        "id": job.id,
        "err_code": "",
        "credits": 10,
        "payload": job.params.get("payload", ""),
        "bgm": bool(job.params.get("bgm", False)),
        "off_peak": bool(job.params.get("off_peak", False)),
        "creations": [],
    }
    if phase is Phase.QUEUED:
        started = time.time() - job.created_at < job.queue_s / 2
        data["state"] = "created" if started else "queueing"
    elif phase is Phase.RUNNING:
        data["state"] = "processing"
    elif phase is Phase.SUCCEEDED:
        urls = await sim.outputs.urls(request, job, URL_TTL_S)
        data["state"] = "success"
        data["creations"] = [
            {"id": secrets.token_hex(9), "url": url, "cover_url": url, "watermarked_url": ""}
            for url in urls
        ]
    elif phase is Phase.BANNED:
        data.update(state="failed", err_code="CreationPolicyViolation", credits=0)
    elif phase is Phase.CANCELLED:
        data.update(state="failed", err_code="UserCancelled", credits=0)
    else:  # UNKNOWN: Vidu documents no such state (a simulated surprise)
        data["state"] = "unknown"
    return data


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}Z"
