"""The Kling adapter, legacy API (klingai.com/document-api: authentication, text-to-video,
image-to-video, image generation, error codes).

A job id here is `<kind>:<task_id>`: Kling polls each kind of task at its own path. Every
submit carries `external_task_id` = the gateway's client reference, so a submit whose answer
was lost is found again (`find_job`) instead of being sent twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mediagate.catalog.kling_models import KLING_MODELS
from mediagate.catalog.spec import ModelSpec
from mediagate.providers.answers import Answer, names_policy, undocumented
from mediagate.providers.base import (
    JobNotFound,
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    RateLimited,
    SubmitRequest,
)
from mediagate.providers.http import Malformed
from mediagate.providers.kling import auth
from mediagate.providers.kling.errors import POLICY_WORDS, from_body
from mediagate.providers.remote import RemoteProvider

#: The path of each kind of task (create, and `<path>/{id}` to query).
PATHS = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "image": "/v1/images/generations",
}
_STATES = {"submitted": JobState.QUEUED, "processing": JobState.RUNNING}


class KlingProvider(RemoteProvider):
    name = "kling"
    default_base_url = "https://api-singapore.klingai.com"
    credential_names = ("access_key", "secret_key")

    def models(self) -> Sequence[ModelSpec]:
        return KLING_MODELS

    def auth_headers(self) -> Mapping[str, str]:
        jwt = auth.token(self.credential("access_key"), self.credential("secret_key"))
        return {"Authorization": f"Bearer {jwt}"}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        return from_body(body)

    def refusal_429(self, body: Any) -> ProviderError | None:
        error = from_body(body)  # 429 also means "balance depleted" (1102) or "IP denied"
        return None if error is None or isinstance(error, RateLimited) else error

    async def submit(self, request: SubmitRequest) -> str:
        kind, body = request_body(request.model, request.input)
        body["external_task_id"] = request.client_ref
        try:
            data = _data(await self.http.call("POST", PATHS[kind], json=body))
        except ProviderError as exc:
            # A submit sent again after an error that had in fact started the job: Kling
            # refuses the repeated external_task_id, and the job is the one started then.
            if exc.code == "INVALID_INPUT" and "external_task_id" in exc.message:
                found = await self.find_job(request.client_ref)
                if found is not None:
                    return found
            raise
        return f"{kind}:{data.need('task_id', str)}"

    async def find_job(self, client_ref: str) -> str | None:
        """Kling queries a task by its `external_task_id` in the task id's place."""
        for kind, path in PATHS.items():
            try:
                body = await self.http.call("GET", f"{path}/{client_ref}", job=True)
            except JobNotFound:
                continue
            data = _data(body)
            found = data.get("task_info", dict, {}) or {}
            if found.get("external_task_id") not in (None, client_ref):
                raise self.malformed("the task found has another external_task_id")
            return f"{kind}:{data.need('task_id', str)}"
        return None

    async def poll(self, job_id: str) -> JobStatus:
        kind, _, task_id = job_id.partition(":")
        if kind not in PATHS or not task_id:
            raise JobNotFound(f"{job_id!r} is not a Kling job id of this gateway")
        data = _data(await self.http.call("GET", f"{PATHS[kind]}/{task_id}", job=True))
        status = data.need("task_status", str)
        if status in _STATES:
            return JobStatus(_STATES[status])
        if status == "succeed":
            result = data.at("task_result")
            files = result.items("images" if kind == "image" else "videos")
            if not files:
                raise self.malformed("a successful task without files")
            outputs = [JobOutput(url=f.need("url", str)) for f in files]
            return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)
        if status == "failed":
            message = (data.get("task_status_msg", str) or "").strip()[:500]
            policy = names_policy(message, POLICY_WORDS)
            code = "CONTENT_POLICY_VIOLATION" if policy else "PROVIDER_ERROR"
            detail = message or "no reason given"
            return JobStatus(JobState.FAILED, error_code=code, error_message=f"kling: {detail}")
        raise undocumented("kling", status)


def _data(body: Any) -> Answer:
    """`data` of Kling's `{"code": 0, "message", "request_id", "data"}` (non-zero: an error)."""
    answer = Answer("kling", body)
    code = answer.get("code", int)
    if code is None:
        raise Malformed("kling", "code is missing")
    error = from_body(body)
    if error is not None:
        raise error
    return answer.at("data")


def _raw_base64(image: str) -> str:
    """Kling takes an image as a URL or bare base64 (no `data:` prefix)."""
    return image.split(",", 1)[1] if image.startswith("data:") else image


def request_body(spec: ModelSpec, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kind of task and its create body for a validated input of `spec`."""
    fields = {k: v for k, v in params.items() if v is not None}
    body: dict[str, Any] = {"model_name": spec.native_id, **fields}
    if spec.type == "image":
        return "image", body
    body["duration"] = str(body["duration"])
    if "sound" in body:
        body["sound"] = "on" if body["sound"] else "off"
    if "image" not in body:
        body.pop("image_tail", None)
        return "text2video", body
    body.pop("aspect_ratio", None)  # image-to-video keeps the image's
    for key in ("image", "image_tail"):
        if key in body:
            body[key] = _raw_base64(body[key])
    return "image2video", body
