"""Seedance video tasks as ModelArk documents them (`/api/v3/contents/generations/tasks`):
create, get, list, and DELETE, which cancels a queued task, is refused once it runs, and deletes
the record of a finished one.

Scenarios: `content_policy` refuses an input image at create (`InputImageSensitiveContentDetected`)
or fails the finished task (`OutputVideoSensitiveContentDetected`); `unknown` ends in a status
ModelArk does not document. Unconfirmed in the docs and chosen here: the code of a refused
DELETE (400 `InvalidAction.TaskStatus`) and of an unknown task (404 `NotFound.TaskId`, after
the documented `NotFound.{Parameter}` pattern), and which wins when a parameter is given both
as a text command in the prompt (`--rt 9:16`) and at the top level (here: the top level).
"""

from __future__ import annotations

import random
import re
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.app import Simulator
from mediagate.simulator.jobs import Output, Phase, SimJob
from mediagate.simulator.outputs import scaled
from mediagate.simulator.providers.ark.common import (
    URL_TTL_S,
    Invalid,
    ark_error,
    authorized,
    boolean,
    choice,
    failure,
    image_ref,
    integer,
    invalid,
    start,
    unauthorized,
)
from mediagate.simulator.scenarios import Scenario

PROVIDER = "seedance"
TASKS = "/api/v3/contents/generations/tasks"
RATIOS = {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440), "3:4": (1248, 1664),
          "9:16": (1088, 1920), "21:9": (2176, 928)}  # fmt: skip
_ALL_RES = ("480p", "720p", "1080p")
_ROLES = ("first_frame", "last_frame", "reference_image")
_DELETED = "_deleted"  # marks a record removed by DELETE
#: The older text commands in the prompt ("a fox --rs 720p --rt 9:16 --dur 5"), as parameters.
_COMMANDS = {"rs": "resolution", "resolution": "resolution", "rt": "ratio", "ratio": "ratio",
             "dur": "duration", "duration": "duration", "frames": "frames", "seed": "seed",
             "cf": "camera_fixed", "camerafixed": "camera_fixed", "wm": "watermark",
             "watermark": "watermark"}  # fmt: skip
_COMMAND = re.compile(r"--([a-z]+)\s+(\S+)")


@dataclass(frozen=True)
class VideoModel:
    durations: tuple[int, int]
    resolution: str  # the default
    text: bool = True  # text-to-video (no image) allowed
    first_frame: bool = True
    last_frame: bool = False
    references: bool = False
    audio: bool = False
    frames: bool = True  # `frames` may replace `duration`


MODELS = {
    "seedance-1-0-pro-250528": VideoModel((2, 12), "1080p"),
    "seedance-1-0-pro-fast-251015": VideoModel((2, 12), "1080p"),
    "seedance-1-0-lite-t2v-250428": VideoModel((2, 12), "720p", first_frame=False),
    "seedance-1-0-lite-i2v-250428": VideoModel(
        (2, 12), "720p", text=False, last_frame=True, references=True
    ),
    "seedance-1-5-pro-251215": VideoModel(
        (4, 12), "720p", last_frame=True, audio=True, frames=False
    ),
}


def routes(sim: Simulator) -> list[BaseRoute]:
    key = sim.credentials[PROVIDER]["api_key"]

    def lookup(request: Request, action: str) -> SimJob | Response:
        job_id = request.path_params["task_id"]
        if not authorized(request, key):
            sim.record(PROVIDER, action, job_id, 401)
            return unauthorized()
        job = sim.store.get(PROVIDER, job_id, owner=key)
        if job is None or job.params.get(_DELETED):
            sim.record(PROVIDER, action, job_id, 404)
            return ark_error(404, "NotFound.TaskId",
                             f"The specified task {job_id} is not found.", "id")  # fmt: skip
        return job

    async def create(request: Request) -> Response:
        started = await start(sim, PROVIDER, key, request, _prompt, _validate)
        if isinstance(started, Response):
            return started
        prompt, scenario, (model, task) = started.prompt, started.scenario, started.valid
        if scenario is Scenario.CONTENT_POLICY and task["images"]:
            sim.record(PROVIDER, "submit", prompt, 400)
            return ark_error(400, "InputImageSensitiveContentDetected",
                             "The request failed because the input image may contain "
                             "sensitive information.")  # fmt: skip
        width, height = scaled(*RATIOS[task["ratio"]])
        job = sim.store.new(
            PROVIDER,
            model=model,
            prompt=prompt,
            scenario=scenario,
            outputs=[
                Output(
                    "video",
                    "mp4",
                    width,
                    height,
                    float(task["duration"]),
                    audio=bool(task["generate_audio"]),
                )
            ],
            params=task,
            owner=key,
            job_id=_task_id(),
        )
        sim.record(PROVIDER, "submit", prompt, 200, job=job.id)
        return JSONResponse({"id": job.id})

    async def get(request: Request) -> Response:
        job = lookup(request, "poll")
        if isinstance(job, Response):
            return job

        async def answer() -> Response:
            return JSONResponse(await _task(sim, request, job))

        def refusal(scenario: Scenario, subject: str) -> Response | None:
            return failure(sim, scenario, subject, create=False)

        return await sim.poll(PROVIDER, request, job, failure=refusal, answer=answer,
                              malformed={"id": job.id, "state": "done", "result": {}})  # fmt: skip

    async def delete(request: Request) -> Response:
        job = lookup(request, "cancel")
        if isinstance(job, Response):
            return job
        phase = job.phase()
        if phase in (Phase.RUNNING, Phase.CANCELLED):
            sim.record(PROVIDER, "cancel", job.id, 400)
            return ark_error(400, "InvalidAction.TaskStatus",
                             f"The task cannot be cancelled or deleted when its status is "
                             f"{_STATUS[phase]}; only queued tasks can be cancelled.",
                             "id")  # fmt: skip
        if phase is Phase.QUEUED:
            sim.store.cancel(job)
        else:  # finished: the record is deleted
            job.params[_DELETED] = True
            sim.store.save(job)
        sim.record(PROVIDER, "cancel", job.id, 200)
        return JSONResponse({})

    async def listing(request: Request) -> Response:
        if not authorized(request, key):
            sim.record(PROVIDER, "list", "", 401)
            return unauthorized()
        query = request.query_params
        try:
            page = _page(query.get("page_num", "1"), "page_num")
            size = _page(query.get("page_size", "10"), "page_size")
        except Invalid as exc:
            return exc.response()
        ids = query.getlist("filter.task_ids")
        jobs = [sim.store.get(PROVIDER, i, owner=key) for i in ids] if ids else _jobs(sim, key)
        week_ago = time.time() - 7 * 86400
        items = []
        for job in sorted((j for j in jobs if j is not None), key=lambda j: -j.created_at):
            if job.params.get(_DELETED) or job.created_at < week_ago:
                continue
            if query.get("filter.model") not in (None, job.model):
                continue
            status = _STATUS.get(job.phase(), "unknown")
            if query.get("filter.status") not in (None, status):
                continue
            items.append(job)
        sim.record(PROVIDER, "list", "", 200)
        page_items = items[(page - 1) * size : page * size]
        return JSONResponse(
            {"total": len(items), "items": [await _task(sim, request, j) for j in page_items]}
        )

    return [
        Route(TASKS, create, methods=["POST"]),
        Route(TASKS, listing, methods=["GET"]),
        Route(TASKS + "/{task_id}", get, methods=["GET"]),
        Route(TASKS + "/{task_id}", delete, methods=["DELETE"]),
    ]


_STATUS = {Phase.QUEUED: "queued", Phase.RUNNING: "running", Phase.SUCCEEDED: "succeeded",
           Phase.BANNED: "failed", Phase.CANCELLED: "cancelled"}  # fmt: skip


def _task_id() -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return f"cgt-{stamp}-{suffix}"


def _prompt(body: Any) -> str:
    """The text item of `content` ("" if none), for scenarios and the request log."""
    items = body.get("content") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        if (
            isinstance(item, dict)
            and item.get("type") == "text"
            and isinstance(item.get("text"), str)
        ):
            return item["text"]
    return ""


def _validate(body: Any) -> tuple[str, dict[str, Any]]:
    """The model and the task's settings, or `Invalid` as ModelArk would refuse the request."""
    if not isinstance(body, dict):
        raise Invalid("", "The request body is not valid JSON.", "InvalidParameter")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise Invalid("model", "The request is missing the parameter `model`.", "MissingParameter")
    model = MODELS.get(model_id)
    if model is None:
        raise Invalid("model", f"The model or endpoint {model_id} does not exist or you do not "
                      "have access to it.", "InvalidEndpointOrModel.NotFound", 404)  # fmt: skip
    texts, images = _content(body.get("content"))
    body = {
        **_commands(texts[0] if texts else ""),
        **{k: v for k, v in body.items() if v is not None},
    }
    roles = [role for role, _ in images]
    if not texts and not images:
        raise Invalid("content", "The request is missing a text prompt or an image.",
                      "MissingParameter")  # fmt: skip
    if not images and not model.text:
        raise Invalid("content", f"The model {model_id} requires an image.", "MissingParameter")
    if images and not model.first_frame:
        raise invalid("content", f"the model {model_id} does not accept images")
    if "reference_image" in roles and (
        not model.references or len(set(roles)) > 1 or len(roles) > 4
    ):
        raise invalid("content", "reference images: 1-4, and not with first or last frames")
    if "last_frame" in roles and (not model.last_frame or roles.count("first_frame") != 1):
        raise invalid("content", "a last frame needs a first frame, on a model that takes both")
    if roles.count("first_frame") > 1 or roles.count("last_frame") > 1:
        raise invalid("content", "at most one first frame and one last frame")
    resolution = choice(body, "resolution", _ALL_RES) or model.resolution
    ratio = choice(body, "ratio", (*RATIOS, "adaptive")) or ("adaptive" if images else "16:9")
    duration = integer(body, "duration", *model.durations)
    frames = integer(body, "frames", 29, 289)
    if frames is not None and (not model.frames or (frames - 25) % 4):
        raise invalid("frames", f"must be 25 + 4n on a model that supports it ({model_id})")
    seed = integer(body, "seed", -1, 2**32 - 1)
    integer(body, "execution_expires_after", 3600, 259200)
    integer(body, "priority", 0, 10)
    choice(body, "service_tier", ("default", "flex"))
    boolean(body, "camera_fixed", "watermark", "return_last_frame", "draft", "generate_audio")
    if body.get("generate_audio") is not None and not model.audio:
        raise invalid("generate_audio", f"the model {model_id} does not generate audio")
    if frames is not None:
        duration = max(1, round(frames / 24))
    task = {
        "images": len(images),
        "resolution": resolution,
        "ratio": "16:9" if ratio == "adaptive" else ratio,  # the image's ratio, simulated
        "duration": duration or 5,
        "seed": seed if seed not in (None, -1) else random.randrange(2**31),
        "service_tier": body.get("service_tier") or "default",
        "execution_expires_after": body.get("execution_expires_after") or 172800,
        "generate_audio": (body.get("generate_audio") is not False) if model.audio else None,
    }
    return model_id, task


def _commands(text: str) -> dict[str, Any]:
    """Parameters given as text commands (the top-level parameters win over them)."""
    found: dict[str, Any] = {}
    for name, raw in _COMMAND.findall(text):
        param = _COMMANDS.get(name)
        if param is None:
            continue
        value: Any = raw
        if raw.lstrip("-").isdigit():
            value = int(raw)
        elif raw in ("true", "false"):
            value = raw == "true"
        found[param] = value
    return found


def _content(items: Any) -> tuple[list[str], list[tuple[str, str]]]:
    if not isinstance(items, list) or not items:
        raise Invalid("content", "The request is missing the parameter `content`.",
                      "MissingParameter")  # fmt: skip
    texts, images = [], []
    for index, item in enumerate(items):
        where = f"content[{index}]"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            if not isinstance(item.get("text"), str) or not item["text"].strip():
                raise invalid(f"{where}.text", "must be a non-empty string")
            texts.append(item["text"])
        elif kind == "image_url":
            url = (
                item.get("image_url", {}).get("url")
                if isinstance(item.get("image_url"), dict)
                else None
            )
            image_ref(f"{where}.image_url.url", url)
            role = item.get("role") or "first_frame"
            if role not in _ROLES:
                raise invalid(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
            images.append((role, url))
        elif kind in ("video_url", "audio_url", "draft_task"):
            raise invalid(f"{where}.type", f"{kind} is not supported by this model")
        else:
            raise invalid(
                f"{where}.type", "must be text, image_url, video_url, audio_url or draft_task"
            )
    if len(texts) > 1:
        raise invalid("content", "at most one text item")
    return texts, images


def _page(value: str, param: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 500:
        raise invalid(param, "must be an integer in [1, 500]")
    return int(value)


def _jobs(sim: Simulator, key: str) -> list[SimJob | None]:
    folder = sim.store.root / PROVIDER
    paths = folder.glob("*.json") if folder.is_dir() else []
    return [sim.store.get(PROVIDER, path.stem, owner=key) for path in paths]


async def _task(sim: Simulator, request: Request, job: SimJob) -> dict[str, Any]:
    """The task object as `GET .../tasks/{id}` answers it (timestamps in seconds)."""
    phase = job.phase()
    settings = job.params
    changed = {
        Phase.QUEUED: job.created_at,
        Phase.RUNNING: job.created_at + job.queue_s,
        Phase.CANCELLED: job.cancelled_at or job.created_at,
    }
    task: dict[str, Any] = {
        "id": job.id,
        "model": job.model,
        "status": _STATUS.get(phase, "unknown"),  # UNKNOWN: a status ModelArk never documents
        "error": None,
        "created_at": int(job.created_at),
        "updated_at": int(changed.get(phase, job.done_at)),
        "seed": settings.get("seed"),
        "resolution": settings.get("resolution"),
        "ratio": settings.get("ratio"),
        "duration": settings.get("duration"),
        "framespersecond": 24,
        "service_tier": settings.get("service_tier"),
        "execution_expires_after": settings.get("execution_expires_after"),
        "draft": False,
    }
    if settings.get("generate_audio") is not None:
        task["generate_audio"] = settings["generate_audio"]
    if phase is Phase.SUCCEEDED:
        (url,) = await sim.outputs.urls(request, job, URL_TTL_S)
        task["content"] = {"video_url": url}
        tokens = _tokens(settings)
        task["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
    elif phase is Phase.BANNED:
        task["error"] = {"code": "OutputVideoSensitiveContentDetected",
                         "message": "The request failed because the output video may contain "
                         "sensitive information."}  # fmt: skip
    return task


def _tokens(settings: dict[str, Any]) -> int:
    width, height = RATIOS.get(settings.get("ratio") or "16:9", RATIOS["16:9"])
    scale = {"480p": 480 / 1080, "720p": 720 / 1080}.get(settings.get("resolution") or "", 1.0)
    return int(width * height * scale * scale * 24 * int(settings.get("duration") or 5) / 1024)
