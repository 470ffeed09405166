"""Seedance video generation (ModelArk content generation tasks):
`POST /contents/generations/tasks`, `GET /contents/generations/tasks/{id}`, and
`DELETE /contents/generations/tasks/{id}`, which cancels a queued task only (ModelArk refuses
it once the task runs; on a finished task it deletes the record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mediagate.catalog.seedance_models import SEEDANCE_MODELS
from mediagate.catalog.spec import ModelSpec
from mediagate.providers.answers import Answer, undocumented
from mediagate.providers.ark.base import ArkProvider, error_code, error_fields
from mediagate.providers.base import (
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    SubmitRequest,
)

TASKS = "/contents/generations/tasks"
_IMAGES = {"image": "first_frame", "last_frame_image": "last_frame"}
_WAITING = {"queued": JobState.QUEUED, "running": JobState.RUNNING}


class SeedanceProvider(ArkProvider):
    name = "seedance"
    supports_cancel = True

    def models(self) -> Sequence[ModelSpec]:
        return SEEDANCE_MODELS

    async def submit(self, request: SubmitRequest) -> str:
        body = await self.http.call(
            "POST", TASKS, json=task_body(request.model.native_id, request.input)
        )
        return Answer(self.name, body).need("id", str)

    async def poll(self, job_id: str) -> JobStatus:
        body = await self.http.call("GET", f"{TASKS}/{job_id}", job=True)
        return job_status(Answer(self.name, body))

    async def cancel(self, job_id: str) -> None:
        """Cancels a queued task. A running one cannot be stopped: ModelArk refuses (4xx), the
        job runs on and the engine discards its result, which is all that can be done."""
        try:
            await self.http.call("DELETE", f"{TASKS}/{job_id}", json={}, job=True)
        except ProviderError as exc:
            if exc.retryable or exc.code != "INVALID_INPUT":
                raise


def task_body(model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The create body: the prompt and images as `content` items, the rest as the documented
    top-level parameters (resolution, ratio, duration, seed, camera_fixed, watermark ...)."""
    content: list[dict[str, Any]] = [{"type": "text", "text": params["prompt"]}]
    for field, role in _IMAGES.items():
        if params.get(field):
            content.append({"type": "image_url", "image_url": {"url": params[field]}, "role": role})
    options = {
        k: v for k, v in params.items() if k != "prompt" and k not in _IMAGES and v is not None
    }
    return {"model": model, "content": content, **options}


def job_status(task: Answer) -> JobStatus:
    """A task object, normalised. ModelArk reports no progress, queue position or ETA."""
    status = task.need("status", str)
    if status in _WAITING:
        return JobStatus(_WAITING[status])
    if status == "succeeded":
        url = task.at("content").need("video_url", str)
        return JobStatus(JobState.SUCCEEDED, progress=100, outputs=[JobOutput(url=url)])
    if status == "cancelled":
        return JobStatus(JobState.CANCELLED)
    if status == "failed":
        code, message, _ = error_fields({"error": task.get("error", dict)})
        text = f"seedance: {code or 'failed'}: {message or 'the task failed'}"
        return JobStatus(JobState.FAILED, error_code=error_code(code), error_message=text)
    if status == "expired":
        return JobStatus(
            JobState.FAILED,
            error_code="TIMEOUT",
            error_message="seedance: the task expired (not done within execution_expires_after)",
        )
    raise undocumented("seedance", status)
