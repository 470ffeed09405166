"""Kling's legacy API as documented (klingai.com/document-api): `POST /v1/videos/text2video`,
`/v1/videos/image2video`, `/v1/images/generations`; `GET <path>/{id}` by task id or
`external_task_id` (also `GET <path>?external_task_id=`), `GET <path>?pageNum=&pageSize=` to
list. Auth: a JWT (HS256) signed with the secret key of its `iss` (the access key), checked for
`exp`/`nbf`. Every answer is `{"code", "message", "request_id", "data"}` with the HTTP status
and service code of the official error table.

Moderation (`[sim:content_policy]`): text-to-video and images are refused at submit (1301);
image-to-video fails at the end with a risk-control `task_status_msg`. `[sim:hang_submit]`
creates the job and never answers the submit. Image inputs are checked for form (a URL, or
bare base64: a `data:` prefix is refused), never fetched.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import Simulator
from mediagate.simulator.jobs import Output, Phase, SimJob
from mediagate.simulator.outputs import scaled
from mediagate.simulator.requests import bearer, read_json
from mediagate.simulator.scenarios import RETRY_AFTER_S, Scenario, scenario_of

PROVIDER = "kling"
URL_TTL_S = 30 * 24 * 3600.0  # Kling deletes generated files after 30 days
PATHS = {
    "/v1/videos/text2video": "text2video",
    "/v1/videos/image2video": "image2video",
    "/v1/images/generations": "image",
}
_VIDEO_MODELS = {"kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1",
                 "kling-v2-1-master", "kling-v2-5-turbo", "kling-v2-6", "kling-v3"}  # fmt: skip
_IMAGE_MODELS = {"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1", "kling-v3"}
_SOUND_MODELS = {"kling-v2-6", "kling-v3"}
_VIDEO_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
_IMAGE_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4),
                 "3:2": (3, 2), "2:3": (2, 3), "21:9": (21, 9)}  # fmt: skip
_RISK = "Failure to pass the risk control system"


def _answer(status: int, code: int, message: str, data: Any = None, **headers: str) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=status, headers=headers)


def _bad(message: str, code: int = 1201) -> Response:
    return _answer(400, code, message)


def authenticate(sim: Simulator, request: Request) -> tuple[str | None, Response | None]:
    """The access key of a valid JWT, or the 401 Kling answers (codes 1001-1004, 1000)."""
    keys = sim.credentials[PROVIDER]
    token = bearer(request)
    if not token:
        return None, _answer(401, 1001, "Authorization is empty")
    try:
        header = jwt.get_unverified_header(token)
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None, _answer(401, 1002, "Authorization is invalid")
    if header.get("alg") != "HS256" or issuer != keys["access_key"]:
        return None, _answer(401, 1000, "Authentication failed")
    try:
        jwt.decode(token, keys["secret_key"], algorithms=["HS256"],
                   options={"require": ["iss", "exp"]})  # fmt: skip
    except jwt.ImmatureSignatureError:
        return None, _answer(401, 1003, "Authorization is not yet valid")
    except jwt.ExpiredSignatureError:
        return None, _answer(401, 1004, "Authorization has expired")
    except jwt.InvalidSignatureError:
        return None, _answer(401, 1000, "Authentication failed")
    except jwt.PyJWTError:
        return None, _answer(401, 1002, "Authorization is invalid")
    return issuer, None


def routes(sim: Simulator) -> list[BaseRoute]:
    def failure(scenario: Scenario, subject: str) -> Response | None:
        failing = sim.failure_now(scenario, subject)
        if failing is Scenario.RATE_LIMIT:
            return _answer(429, 1302, "Rate limit exceeded",
                           **{"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip
        if failing is Scenario.SERVER_ERROR:
            return _answer(500, 5000, "Internal server error")
        return None

    async def create(request: Request, kind: str) -> Response:
        owner, refused = authenticate(sim, request)
        body = await read_json(request) if owner else None
        prompt = body.get("prompt") if isinstance(body, dict) else None
        scenario = scenario_of(prompt)
        if refused is None:
            refused = failure(scenario, f"submit:{prompt}")
        if refused is None:
            refused = _validate(kind, body)
        if refused is None and isinstance(body, dict):
            ref = body.get("external_task_id")
            if ref and sim.store.find(PROVIDER, ref, owner) is not None:
                refused = _bad("external_task_id already exists")
        policy = scenario is Scenario.CONTENT_POLICY and kind != "image2video"
        if refused is None and policy:
            refused = _bad("The content violates the platform's security policy", 1301)
        if refused is not None:
            sim.record(PROVIDER, "submit", str(prompt or ""), refused.status_code)
            return refused
        assert isinstance(body, dict) and owner is not None
        job = sim.store.new(
            PROVIDER,
            model=body.get("model_name", "kling-v1"),
            prompt=body.get("prompt") or "",
            scenario=scenario,
            outputs=_outputs(kind, body),
            params={"kind": kind},
            client_ref=body.get("external_task_id") or None,
            owner=owner,
            job_id=str(800_000_000_000_000_000 + secrets.randbelow(10**17)),
        )
        sim.record(PROVIDER, "submit", job.prompt, 200, job=job.id)
        if scenario is Scenario.HANG_SUBMIT:
            return await sim.hang(request)
        return _answer(200, 0, "SUCCEED", _created(job))

    async def query(request: Request, kind: str) -> Response:
        return await _one(request, kind, request.path_params["id"])

    async def listing(request: Request, kind: str) -> Response:
        ref = request.query_params.get("external_task_id")
        if ref is not None:
            return await _one(request, kind, ref)
        owner, refused = authenticate(sim, request)
        if refused is not None:
            return refused
        try:
            page = int(request.query_params.get("pageNum", "1"))
            size = int(request.query_params.get("pageSize", "30"))
        except ValueError:
            return _bad("pageNum and pageSize must be integers")
        if not (1 <= page <= 1000 and 1 <= size <= 500):
            return _bad("pageNum must be 1-1000 and pageSize 1-500")
        jobs = sorted(_jobs_of(sim, kind, owner), key=lambda j: -j.created_at)
        chosen = jobs[(page - 1) * size : page * size]
        return _answer(200, 0, "SUCCEED", [await _task(sim, request, job) for job in chosen])

    async def _one(request: Request, kind: str, key: str) -> Response:
        owner, refused = authenticate(sim, request)
        if refused is not None:
            sim.record(PROVIDER, "poll", key, refused.status_code)
            return refused
        job = sim.store.get(PROVIDER, key, owner)
        action = "poll"
        if job is None:
            job, action = sim.store.find(PROVIDER, key, owner), "find"
        if job is None or job.params.get("kind") != kind:
            sim.record(PROVIDER, action, key, 404)
            return _answer(404, 1203, "task not found")

        async def answer() -> Response:
            return _answer(200, 0, "SUCCEED", await _task(sim, request, job))

        if action == "find":  # a lookup by external_task_id: no scenario plays on it
            sim.record(PROVIDER, action, job.id, 200)
            return await answer()
        malformed = {"code": 0, "message": "SUCCEED", "data": {"task_id": job.id}}
        return await sim.poll(PROVIDER, request, job, failure=failure, answer=answer,
                              malformed=malformed)  # fmt: skip

    found: list[BaseRoute] = []
    for path, kind in PATHS.items():
        found += [
            Route(path, _bound(create, kind), methods=["POST"]),
            Route(path, _bound(listing, kind), methods=["GET"]),
            Route(path + "/{id}", _bound(query, kind), methods=["GET"]),
        ]
    return found


def _bound(
    handler: Callable[[Request, str], Awaitable[Response]], kind: str
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, kind)

    return endpoint


def _validate(kind: str, body: Any) -> Response | None:
    """The refusal Kling answers for a request it does not accept, or None."""
    if not isinstance(body, dict):
        return _bad("request body must be a JSON object", 1200)
    prompt, negative = body.get("prompt"), body.get("negative_prompt")
    for name, value in (("prompt", prompt), ("negative_prompt", negative)):
        if value is not None and (not isinstance(value, str) or len(value) > 2500):
            return _bad(f"{name} must be a string of at most 2500 characters")
    if kind != "image2video" and not (prompt or "").strip():
        return _bad("prompt is required")
    ref = body.get("external_task_id")
    if ref is not None and not isinstance(ref, str):
        return _bad("external_task_id must be a string")
    if kind == "image":
        return _validate_image(body)
    model = body.get("model_name", "kling-v1")
    if model not in _VIDEO_MODELS:
        return _bad(f"model_name {model!r} is not supported")
    durations = [str(s) for s in range(3, 16)] if model == "kling-v3" else ["5", "10"]
    if body.get("duration", "5") not in durations:
        return _bad(f"duration must be one of {durations} (a string)")
    if body.get("mode", "std") not in ("std", "pro"):
        return _bad("mode must be std or pro")
    if "sound" in body and (model not in _SOUND_MODELS or body["sound"] not in ("on", "off")):
        return _bad(f"sound must be on or off, and only for {sorted(_SOUND_MODELS)}")
    if kind == "text2video":
        if body.get("aspect_ratio", "16:9") not in _VIDEO_RATIOS:
            return _bad("aspect_ratio must be one of 16:9, 9:16, 1:1")
        return None
    if not body.get("image"):
        return _bad("image is required")
    if body.get("image_tail") and body.get("camera_control"):
        return _bad("image_tail cannot be used with camera_control")
    for name in ("image", "image_tail"):
        if body.get(name) and not _image_ok(body[name]):
            return _bad(f"{name} must be an image URL or base64 data without a data: prefix")
    return None


def _validate_image(body: dict[str, Any]) -> Response | None:
    model = body.get("model_name", "kling-v1")
    if model not in _IMAGE_MODELS:
        return _bad(f"model_name {model!r} is not supported")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 9:
        return _bad("n must be an integer from 1 to 9")
    if body.get("aspect_ratio", "16:9") not in _IMAGE_RATIOS:
        return _bad("aspect_ratio is not supported")
    if body.get("resolution", "1k") not in ("1k", "2k"):
        return _bad("resolution must be 1k or 2k")
    if body.get("image") and not _image_ok(body["image"]):
        return _bad("image must be an image URL or base64 data without a data: prefix")
    return None


def _image_ok(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value.startswith(("https://", "http://")):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _outputs(kind: str, body: dict[str, Any]) -> list[Output]:
    if kind == "image":
        w, h = _IMAGE_RATIOS[body.get("aspect_ratio", "16:9")]
        width, height = scaled(w * 1024 // max(w, h), h * 1024 // max(w, h))
        return [Output("image", "png", width, height)] * body.get("n", 1)
    w, h = _VIDEO_RATIOS[body.get("aspect_ratio", "16:9") if kind == "text2video" else "16:9"]
    side = 1080 if body.get("mode") == "pro" or "master" in body.get("model_name", "") else 720
    width, height = scaled(w * side // min(w, h), h * side // min(w, h))
    sound = body.get("sound") == "on"
    return [Output("video", "mp4", width, height, float(body.get("duration", "5")), audio=sound)]


def _jobs_of(sim: Simulator, kind: str, owner: str | None) -> list[SimJob]:
    folder = sim.store.root / PROVIDER
    found = (sim.store.get(PROVIDER, p.stem, owner) for p in folder.glob("*.json"))
    return [j for j in found if j is not None and j.params.get("kind") == kind]


def _created(job: SimJob) -> dict[str, Any]:
    ms = int(job.created_at * 1000)
    return {"task_id": job.id, "task_status": "submitted",
            "task_info": {"external_task_id": job.client_ref or ""},
            "created_at": ms, "updated_at": ms}  # fmt: skip


async def _task(sim: Simulator, request: Request, job: SimJob) -> dict[str, Any]:
    phase = job.phase()
    data = {**_created(job), "task_status_msg": "", "updated_at": int(time.time() * 1000)}
    if phase is Phase.QUEUED:
        data["task_status"] = "submitted"
    elif phase is Phase.RUNNING:
        data["task_status"] = "processing"
    elif phase is Phase.SUCCEEDED:
        urls = await sim.outputs.urls(request, job, URL_TTL_S)
        if job.params.get("kind") == "image":
            result = {"images": [{"index": i, "url": url} for i, url in enumerate(urls)]}
        else:
            duration = f"{job.outputs[0].duration:.3f}"
            result = {"videos": [{"id": secrets.token_hex(8), "url": url, "watermark_url": "",
                                  "duration": duration} for url in urls]}  # fmt: skip
        data.update(task_status="succeed", task_result=result, final_unit_deduction="1",
                    watermark_info={"enabled": False})  # fmt: skip
    elif phase is Phase.BANNED:
        data.update(task_status="failed", task_status_msg=_RISK)
    elif phase is Phase.CANCELLED:  # Kling has no cancel; not reached
        data.update(task_status="failed", task_status_msg="task cancelled")
    else:  # UNKNOWN: Kling documents no such status (a simulated surprise)
        data["task_status"] = "unknown"
    return data
