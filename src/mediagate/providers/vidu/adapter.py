"""The Vidu adapter (platform.vidu.com/docs: text-to-video, image-to-video, reference-to-image,
get-generation, cancel-generation, error-code).

Vidu has no lookup by a client id: the gateway's reference rides in `payload` (echoed back),
but its task list cannot be filtered by it, so `find_job` is not offered and a submit whose
answer was lost fails rather than risk a second paid job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from mediagate.catalog.spec import ModelSpec
from mediagate.catalog.vidu_models import VIDU_MODELS
from mediagate.providers.answers import Answer, undocumented
from mediagate.providers.base import (
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    SubmitRequest,
)
from mediagate.providers.remote import RemoteProvider
from mediagate.providers.vidu.errors import failure, refusal

log = logging.getLogger(__name__)
_STATES = {"created": JobState.QUEUED, "queueing": JobState.QUEUED,
           "processing": JobState.RUNNING}  # fmt: skip


class ViduProvider(RemoteProvider):
    name = "vidu"
    default_base_url = "https://api.vidu.com"
    supports_cancel = True

    def models(self) -> Sequence[ModelSpec]:
        return VIDU_MODELS

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Token {self.credential('api_key')}"}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        return refusal(status, body)

    async def submit(self, request: SubmitRequest) -> str:
        path, body = request_body(request.model, request.input)
        body["payload"] = request.client_ref
        answer = Answer(self.name, await self.http.call("POST", path, json=body))
        return answer.need("task_id", str)

    async def poll(self, job_id: str) -> JobStatus:
        body = await self.http.call("GET", f"/ent/v2/tasks/{job_id}/creations", job=True)
        answer = Answer(self.name, body)
        state = answer.need("state", str)
        if state in _STATES:
            return JobStatus(_STATES[state])
        if state == "success":
            outputs = [JobOutput(url=c.need("url", str)) for c in answer.items("creations")]
            if not outputs:
                raise self.malformed("a successful task without creations")
            return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)
        if state == "failed":
            return failure(answer.get("err_code", str) or "")
        raise undocumented("vidu", state, "state")

    async def cancel(self, job_id: str) -> None:
        """Vidu cancels a task only until it is scheduled; after that it refuses (HTTP 400) and
        the job runs on, its result discarded by the gateway."""
        try:
            await self.http.call(
                "POST", f"/ent/v2/tasks/{job_id}/cancel", json={"id": job_id}, job=True
            )
        except ProviderError as exc:
            if exc.retryable or exc.code != "INVALID_INPUT":
                raise
            log.info("vidu would not cancel job %s: %s", job_id, exc.message)


def request_body(spec: ModelSpec, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The create path and body for a validated input of `spec`."""
    fields = {k: v for k, v in params.items() if v is not None and v != []}
    body: dict[str, Any] = {"model": spec.native_id, "prompt": fields.pop("prompt")}
    if spec.type == "image":
        body.update(fields)
        return "/ent/v2/reference2image", body
    image = fields.pop("image", None)
    if image is None:
        body.update(fields)
        return "/ent/v2/text2video", body
    fields.pop("aspect_ratio", None)  # image-to-video keeps the image's
    body.update(fields, images=[image])
    return "/ent/v2/img2video", body
