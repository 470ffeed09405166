"""Tripo apiv3 as documented (docs.tripo3d.ai) and as the official SDK `tripo3d` 1.0.0 sends and
parses it: `POST /v3/generation/{text,image}-to-model`, `GET /v3/tasks/{id}`,
`POST /v3/tasks/list`; `Authorization: Bearer tsk_...`; `{"code": 0, "data": ...}` envelopes;
errors `{"code", "message", "suggestion"}` with the HTTP status of Tripo's table; a task is
visible to the key that created it only; output URLs expire after five minutes.

Scenarios: `content_policy` refuses a text prompt at create (code 2008, input moderation) and
bans an image-to-model task when it ends (status `banned`); `unknown` ends in status `unknown`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import Simulator
from mediagate.simulator.jobs import Output, Phase, SimJob
from mediagate.simulator.requests import bearer, read_json
from mediagate.simulator.scenarios import RETRY_AFTER_S, Scenario, scenario_of

PROVIDER = "tripo"
#: Tripo's signed output URLs expire after five minutes (its task-query docs).
URL_TTL_S = 300.0
#: A valid key of an account without credits: every create is refused with code 2010.
NO_CREDITS_KEY = "tsk_sim-tripo-no-credits"
MODELS = ("v1.4-20240625", "v2.0-20240919", "v2.5-20250123", "v3.0-20250812")
#: apiv3 `input`: an image URL, a `file_token` of an upload, or the id of an image task.
_IMAGE_INPUT = re.compile(r"https?://\S+$|file_\S+$|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
_KINDS = {"text-to-model": "text_to_model", "image-to-model": "image_to_model"}
_ERRORS = {  # code: (HTTP status, message, suggestion)
    1000: (500, "Unknown error on server side", "Please contact the support with request id"),
    1002: (401, "Authentication failed",
           "Check if your credentials is valid, and ensure you set it correctly"),
    1003: (400, "The request body is malformed", "Refer to the API documentation for request "
           "schema"),
    1004: (400, "One or more of your parameter is invalid",
           "Refer to the API documentation for parameter requirements"),
    2000: (429, "You have exceeded the limit of generation", "Please retry later"),
    2001: (404, "Task not found", "Check the task id, and query it with the key that created it"),
    2008: (400, "The input violates our content policy", "Please revise your input"),
    2010: (403, "You need more credits to start a new task", "Please check billing and recharge"),
}  # fmt: skip


def _answer(body: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(
        body, status_code=status, headers={"X-Tripo-Trace-ID": str(uuid.uuid4()), **headers}
    )


def _error(code: int, detail: str | None = None, **headers: str) -> JSONResponse:
    status, message, suggestion = _ERRORS[code]
    body = {
        "code": code,
        "message": f"{message}: {detail}" if detail else message,
        "suggestion": suggestion,
    }
    return _answer(body, status, **headers)


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    def account(request: Request) -> str | None:
        credential = bearer(request)
        return credential if credential in (key, NO_CREDITS_KEY) else None

    def failure(scenario: Scenario, subject: str) -> Response | None:
        failing = sim.failure_now(scenario, subject)
        if failing is Scenario.RATE_LIMIT:
            return _error(2000, **{"Retry-After": str(RETRY_AFTER_S)})
        if failing is Scenario.SERVER_ERROR:
            return _error(1000)
        return None

    async def create(request: Request, kind: str) -> Response:
        owner = account(request)
        body = await read_json(request)
        prompt = body.get("prompt") if isinstance(body, dict) else None
        subject = str(prompt or (body.get("input") if isinstance(body, dict) else "") or "")
        if owner is None:
            sim.record(PROVIDER, "submit", subject, 401)
            return _error(1002)
        if not isinstance(body, dict):
            sim.record(PROVIDER, "submit", subject, 400)
            return _error(1003)
        scenario = scenario_of(prompt)
        refused = failure(scenario, f"submit:{subject}")
        if refused is None:
            refused = _refusal(kind, body, scenario, owner)
        if refused is not None:
            sim.record(PROVIDER, "submit", subject, refused.status_code)
            return refused
        job = sim.store.new(
            PROVIDER,
            model=kind,
            prompt=str(prompt or body["input"]),
            scenario=scenario,
            outputs=[Output("model3d", "glb"), Output("image", "webp", 256, 256)],
            params=body,
            owner=owner,
            job_id=str(uuid.uuid4()),
        )
        sim.record(PROVIDER, "submit", subject, 200, job=job.id)
        return _answer({"code": 0, "data": {"task_id": job.id}})

    async def get_task(request: Request) -> Response:
        job_id = request.path_params["task_id"]
        owner = account(request)
        if owner is None:
            sim.record(PROVIDER, "poll", job_id, 401)
            return _error(1002)
        job = sim.store.get(PROVIDER, job_id, owner=owner)
        if job is None:
            sim.record(PROVIDER, "poll", job_id, 404)
            return _error(2001)

        async def answer() -> Response:
            return _answer({"code": 0, "data": await _task(sim, request, job)})

        return await sim.poll(PROVIDER, request, job, failure=failure, answer=answer,
                              malformed={"code": 0, "result": {"state": "ok"}})  # fmt: skip

    async def list_tasks(request: Request) -> Response:
        owner = account(request)
        if owner is None:
            sim.record(PROVIDER, "poll", "", 401)
            return _error(1002)
        body = await read_json(request)
        ids = body.get("task_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            return _error(1004, "task_ids must be a list of 1 to 100 task ids")
        if not all(isinstance(i, str) for i in ids):
            return _error(1004, "task_ids must be strings")
        tasks, missed = {}, []
        for job_id in dict.fromkeys(ids):
            job = sim.store.get(PROVIDER, job_id, owner=owner)
            sim.record(PROVIDER, "poll", job_id, 200 if job else 404)
            if job is None:
                missed.append(job_id)
            else:
                tasks[job_id] = await _task(sim, request, job)
        return _answer({"code": 0, "data": {"tasks": tasks, "missed": missed}})

    def creator(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return await create(request, kind)

        return endpoint

    return [
        *(
            Route(f"/v3/generation/{path}", creator(kind), methods=["POST"])
            for path, kind in _KINDS.items()
        ),
        Route("/v3/tasks/list", list_tasks, methods=["POST"]),
        Route("/v3/tasks/{task_id}", get_task, methods=["GET"]),
    ]


def _refusal(kind: str, body: dict[str, Any], scenario: Scenario, owner: str) -> Response | None:
    """Tripo's answer to a create it refuses, or None to accept it."""
    problem = _invalid(kind, body)
    if problem is not None:
        return _error(1004, problem)
    if owner == NO_CREDITS_KEY:
        return _error(2010)
    if scenario is Scenario.CONTENT_POLICY and kind == "text_to_model":
        return _error(2008)
    return None


def _invalid(kind: str, body: dict[str, Any]) -> str | None:
    """What is wrong with a create's parameters, as Tripo checks them; None if nothing."""
    model = body.get("model", "v2.5-20250123")
    if model not in MODELS:
        return f"model must be one of {', '.join(MODELS)}"
    if kind == "text_to_model":
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 1024:
            return "prompt is required, at most 1024 characters"
        negative = body.get("negative_prompt")
        if negative is not None and (not isinstance(negative, str) or len(negative) > 255):
            return "negative_prompt must be a string of at most 255 characters"
    else:
        image = body.get("input")
        if not isinstance(image, str) or not _IMAGE_INPUT.match(image):
            return "input must be an image URL, a file_token or a task_id"
    for name in ("texture", "pbr", "quad", "auto_size", "generate_parts", "smart_low_poly"):
        if name in body and not isinstance(body[name], bool):
            return f"{name} must be a boolean"
    for name, low in (("model_seed", 0), ("texture_seed", 0), ("image_seed", 0), ("face_limit", 1)):
        value = body.get(name)
        if name in body and (not isinstance(value, int) or isinstance(value, bool) or value < low):
            return f"{name} must be an integer of at least {low}"
    return None


async def _task(sim: Simulator, request: Request, job: SimJob) -> dict[str, Any]:
    """The task object of `GET /v3/tasks/{id}`, in its current state."""
    phase = job.phase()
    data: dict[str, Any] = {
        "task_id": job.id,
        "type": job.model,
        "status": _STATUSES[phase],
        "input": job.params,
        "output": {},
        "progress": job.progress(),
        "create_time": int(job.created_at),
        "queuing_num": -1,
        "running_left_time": -1,
    }
    if phase is Phase.QUEUED:
        data["queuing_num"] = max(1, job.queue_position(sim.store.timing.queue_step_s))
        data["running_left_time"] = job.eta_seconds()
    elif phase is Phase.RUNNING:
        data["running_left_time"] = job.eta_seconds()
    elif phase is Phase.SUCCEEDED:
        model_url, preview_url = await sim.outputs.urls(request, job, URL_TTL_S)
        data["output"] = {"model_url": model_url, "rendered_image_url": preview_url}
        data["credits_consumed"] = _credits(job)
    return data


_STATUSES = {
    Phase.QUEUED: "queued",
    Phase.RUNNING: "running",
    Phase.SUCCEEDED: "success",
    Phase.BANNED: "banned",
    Phase.UNKNOWN: "unknown",
    Phase.CANCELLED: "cancelled",
}


def _credits(job: SimJob) -> int:
    """docs.tripo3d.ai pricing: text 10/20 credits, image 20/30 (untextured/textured)."""
    textured = job.params.get("texture", True) or job.params.get("pbr", True)
    base = 10 if job.model == "text_to_model" else 20
    return base + (10 if textured else 0)
