"""vidgo.ai as documented (docs.vidgo.ai): `POST /api/generate/submit`,
`GET /api/generate/status/{task_id}`, Bearer key, `{"code": 200, "data": ...}` envelopes."""

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

PROVIDER = "vidgo"
URL_TTL_S = 24 * 3600.0
_VIDEO = {
    "sora-2": (10, 15),
    "sora-2-pro": (15, 25),
    "veo3.1-fast": (4, 6, 8),
    "veo3.1-quality": (4, 6, 8),
}
_IMAGE = ("gpt-image-2", "gpt-image-2-edit")
_RATIOS = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (1024, 1024), "3:2": (1536, 1024),
           "2:3": (1024, 1536)}  # fmt: skip


def _error(status: int, message: str, **headers: str) -> Response:
    return JSONResponse({"code": status, "message": message}, status_code=status, headers=headers)


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    def failure(scenario: Scenario, subject: str) -> Response | None:
        failing = sim.failure_now(scenario, subject)
        if failing is Scenario.RATE_LIMIT:
            return _error(429, "Too many requests", **{"Retry-After": str(RETRY_AFTER_S)})
        if failing is Scenario.SERVER_ERROR:
            return _error(502, "Bad gateway")
        return None

    async def submit(request: Request) -> Response:
        if bearer(request) != key:
            sim.record(PROVIDER, "submit", "", 401)
            return _error(401, "Invalid API key")
        body = await read_json(request)
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object")
        fields = body.get("input")
        model = body.get("model")
        prompt = fields.get("prompt") if isinstance(fields, dict) else None
        scenario = scenario_of(prompt)
        refused = failure(scenario, f"submit:{prompt}")
        if refused is not None:
            sim.record(PROVIDER, "submit", str(prompt), refused.status_code)
            return refused
        problem = _validate(model, fields)
        if problem is not None:
            sim.record(PROVIDER, "submit", str(prompt), 400)
            return _error(400, problem)
        assert isinstance(fields, dict) and isinstance(model, str)
        job = sim.store.new(
            PROVIDER,
            model=model,
            prompt=fields["prompt"],
            scenario=scenario,
            outputs=[_output(model, fields)],
            params=body,
            owner=key,
            job_id=f"task-unified-{int(time.time())}-{secrets.token_hex(4)}",
        )
        sim.record(PROVIDER, "submit", job.prompt, 200, job=job.id)
        data = {"task_id": job.id, "status": "not_started", "created_time": _iso(job.created_at)}
        return JSONResponse({"code": 200, "data": data})

    async def status(request: Request) -> Response:
        job_id = request.path_params["task_id"]
        if bearer(request) != key:
            sim.record(PROVIDER, "poll", job_id, 401)
            return _error(401, "Invalid API key")
        job = sim.store.get(PROVIDER, job_id)
        if job is None:
            sim.record(PROVIDER, "poll", job_id, 404)
            return _error(404, "Task not found")
        if job.owner != key:
            return _error(403, "Task belongs to another user")

        async def answer() -> Response:
            return JSONResponse({"code": 200, "data": await _task(sim, request, job)})

        return await sim.poll(PROVIDER, request, job, failure=failure, answer=answer,
                              malformed={"code": 200, "result": {"state": "ok"}})  # fmt: skip

    return [
        Route("/api/generate/submit", submit, methods=["POST"]),
        Route("/api/generate/status/{task_id}", status, methods=["GET"]),
    ]


def _validate(model: Any, fields: Any) -> str | None:
    if not isinstance(model, str) or not model:
        return "model is required"
    if model not in _VIDEO and model not in _IMAGE:
        return f"Unsupported model: {model}"
    if not isinstance(fields, dict):
        return "input must be an object"
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return "input.prompt is required"
    if model in _VIDEO and fields.get("duration", _VIDEO[model][0]) not in _VIDEO[model]:
        return f"input.duration must be one of {list(_VIDEO[model])} for {model}"
    if model == "gpt-image-2-edit" and not fields.get("image_urls"):
        return "input.image_urls is required for gpt-image-2-edit"
    ratio = fields.get("aspect_ratio", fields.get("size", "16:9"))
    if ratio not in _RATIOS:
        return f"unsupported aspect ratio {ratio!r}"
    return None


def _output(model: str, fields: dict[str, Any]) -> Output:
    if model in _IMAGE:
        width, height = scaled(*_RATIOS[fields.get("size", "1:1")])
        return Output("image", "png", width, height)
    width, height = scaled(*_RATIOS[fields.get("aspect_ratio", "16:9")])
    duration = float(fields.get("duration", _VIDEO[model][0]))
    # Sora 2 videos always have sound; Veo 3.1 on vidgo when `generate_audio` asks for it.
    sound = model.startswith("sora-2") or fields.get("generate_audio") in (True, "true")
    return Output("video", "mp4", width, height, duration, audio=sound)


async def _task(sim: Simulator, request: Request, job: SimJob) -> dict[str, Any]:
    phase = job.phase()
    data: dict[str, Any] = {
        "task_id": job.id,
        "created_time": _iso(job.created_at),
        "progress": job.progress(),
        "files": [],
        "error_message": None,
    }
    if phase is Phase.QUEUED:
        data["status"] = "not_started"
    elif phase is Phase.RUNNING:
        data["status"] = "running"
    elif phase is Phase.SUCCEEDED:
        kind = job.outputs[0].kind
        urls = await sim.outputs.urls(request, job, URL_TTL_S)
        data["status"] = "finished"
        data["files"] = [{"file_url": url, "file_type": kind} for url in urls]
    elif phase is Phase.BANNED:
        data.update(status="failed", progress=0,
                    error_message="The prompt violates our content policy")  # fmt: skip
    else:  # UNKNOWN (vidgo documents no such status: a simulated surprise)
        data["status"] = "unknown"
    return data


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
