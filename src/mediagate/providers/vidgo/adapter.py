"""The vidgo.ai adapter (docs.vidgo.ai: quickstart, task-management/status)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mediagate.catalog.spec import ModelSpec
from mediagate.catalog.vidgo_models import VIDGO_MODELS
from mediagate.providers.answers import Answer, names_policy, undocumented
from mediagate.providers.base import (
    JobNotFound,
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)
from mediagate.providers.remote import RemoteProvider

_STATES = {"not_started": JobState.QUEUED, "running": JobState.RUNNING}
_POLICY_WORDS = ("content policy", "violat", "sensitive", "moderation", "nsfw", "unsafe")
#: Models of other providers that vidgo can serve as a fallback, as vidgo's model names.
FALLBACK_MODELS = {
    "veo-3.1-fast-generate-preview": "veo3.1-fast",
    "veo-3.1-generate-preview": "veo3.1-quality",
}


class VidgoProvider(RemoteProvider):
    name = "vidgo"
    default_base_url = "https://api.vidgo.ai"

    def models(self) -> Sequence[ModelSpec]:
        return VIDGO_MODELS

    def serves(self, spec: ModelSpec) -> bool:
        return spec.provider == self.name or spec.id in FALLBACK_MODELS

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.credential('api_key')}"}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        message = _message(body) or f"HTTP {status}"
        if status == 403:  # vidgo: the task belongs to another account
            return JobNotFound(f"vidgo refused access to this job: {message}")
        if status == 402 or "credit" in message.lower() or "balance" in message.lower():
            return ProviderError(
                "PROVIDER_UNAVAILABLE", f"vidgo refused the task for lack of credits: {message}"
            )
        if names_policy(message, _POLICY_WORDS):
            return ProviderError("CONTENT_POLICY_VIOLATION", f"vidgo refused the prompt: {message}")
        return None

    async def submit(self, request: SubmitRequest) -> str:
        model, fields = _request_body(request.model, request.input)
        body = await self.http.call(
            "POST", "/api/generate/submit", json={"model": model, "input": fields}
        )
        return _data(body).need("task_id", str)

    async def poll(self, job_id: str) -> JobStatus:
        body = await self.http.call("GET", f"/api/generate/status/{job_id}", job=True)
        data = _data(body)
        status = data.need("status", str)
        progress = data.get("progress", int)
        if status in _STATES:
            return JobStatus(_STATES[status], progress=progress)
        if status == "finished":
            outputs = [JobOutput(url=f.need("file_url", str)) for f in data.items("files")]
            return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)
        if status == "failed":
            message = data.get("error_message", str) or "vidgo reported the task failed"
            policy = names_policy(message, _POLICY_WORDS)
            code = "CONTENT_POLICY_VIOLATION" if policy else "PROVIDER_ERROR"
            return JobStatus(JobState.FAILED, error_code=code, error_message=f"vidgo: {message}")
        raise undocumented("vidgo", status)


def _data(body: Any) -> Answer:
    """`data` of vidgo's `{"code": 200, "data": {...}}` envelope (a non-200 code is an error)."""
    answer = Answer("vidgo", body)
    code = answer.get("code", int)
    if code is not None and code != 200:
        message = _message(body) or "no message"
        if code == 429:
            raise RateLimited(f"vidgo is rate limiting: {message}")
        if code >= 500:
            raise RetryableError(f"vidgo answered code {code}: {message}")
        raise ProviderError("INVALID_INPUT", f"vidgo refused the request ({code}): {message}")
    return answer.at("data")


def _message(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("message", "msg", "error_message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return None


def _request_body(spec: ModelSpec, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """vidgo's model name and `input` for a validated input of `spec` (its own models, or a
    model it serves as a fallback)."""
    if spec.id in FALLBACK_MODELS:  # Gemini's Veo input, translated
        fields = {
            "prompt": params["prompt"],
            "duration": int(params.get("duration_seconds", 8)),
            "aspect_ratio": params.get("aspect_ratio", "16:9"),
            "resolution": params.get("resolution", "720p"),
        }
        if params.get("image"):
            fields["image_url"] = params["image"]
        return FALLBACK_MODELS[spec.id], fields
    fields = {k: v for k, v in params.items() if v not in (None, [])}
    if spec.id == "gpt-image-2" and fields.get("image_urls"):
        return "gpt-image-2-edit", fields
    return spec.native_id, fields
