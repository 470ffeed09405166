"""The Tripo adapter (apiv3, as the official SDK `tripo3d` 1.0.0 speaks it).

Tripo has no cancel call and no lookup by a client's id: a cancelled task's job runs on at
Tripo, discarded. Output URLs are signed and expire after five minutes; the engine copies them
in the same step as the poll that sees `success`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from mediagate.catalog.spec import ModelSpec
from mediagate.catalog.tripo_models import TRIPO_MODELS
from mediagate.providers.answers import Answer, undocumented
from mediagate.providers.base import (
    JobOutput,
    JobState,
    JobStatus,
    ProviderError,
    RetryableError,
    SubmitRequest,
)
from mediagate.providers.http import Malformed
from mediagate.providers.remote import RemoteProvider
from mediagate.providers.tripo.errors import CONTENT_POLICY, code_of, describe, error_for
from mediagate.simulator.scenarios import Scenario, scenario_of

#: Where a finished task's mesh is (apiv3 `model_url`; the SDK also accepts these aliases).
_MODEL_KEYS = ("model_url", "pbr_model_url", "model", "pbr_model")
#: Final statuses other than success, as (error code, message).
_ENDINGS = {
    "banned": ("CONTENT_POLICY_VIOLATION", "tripo banned the task under its content policy"),
    "expired": ("PROVIDER_ERROR", "tripo let the task expire before it finished; try again"),
    "cancelled": ("PROVIDER_ERROR", "tripo cancelled the task (the gateway never does)"),
}


class TripoProvider(RemoteProvider):
    name = "tripo"
    default_base_url = "https://openapi.tripo3d.ai"
    supports_cancel = False  # neither the API docs nor the SDK have a cancel call

    def models(self) -> Sequence[ModelSpec]:
        return TRIPO_MODELS

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.credential('api_key')}"}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        code = code_of(body)
        return error_for(code, body) if code is not None else None

    async def submit(self, request: SubmitRequest) -> str:
        path, body = request_body(request.model, request.input)
        return _data(await self.http.call("POST", path, json=body)).need("task_id", str)

    async def poll(self, job_id: str) -> JobStatus:
        body = await self.http.call("GET", f"/v3/tasks/{quote(job_id, safe='')}", job=True)
        return job_status(_data(body))


def request_body(spec: ModelSpec, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path and JSON body for a validated input. Like the SDK, only values that differ from
    Tripo's defaults are sent (texture and pbr default to true)."""
    body: dict[str, Any] = {"model": spec.native_id}
    if params.get("image"):
        path = "/v3/generation/image-to-model"
        body["input"] = params["image"]
        # Image-to-model takes no prompt; one with a scenario marker is passed on so that the
        # simulator (sandbox, tests) can play the scenario. Tripo never sees one otherwise.
        prompt = params.get("prompt")
        if prompt and scenario_of(prompt) is not Scenario.NORMAL:
            body["prompt"] = prompt
    else:
        path = "/v3/generation/text-to-model"
        body["prompt"] = params["prompt"]
        if params.get("negative_prompt"):
            body["negative_prompt"] = params["negative_prompt"]
    for name in ("texture", "pbr"):
        if params.get(name) is False:
            body[name] = False
    for name in ("model_seed", "texture_seed", "face_limit"):
        if params.get(name) is not None:
            body[name] = params[name]
    return path, body


def job_status(task: Answer) -> JobStatus:
    """A task object of `GET /v3/tasks/{id}`, normalised."""
    status = task.need("status", str)
    progress = _count(task, "progress")
    eta = _count(task, "running_left_time")
    if status == "queued":
        return JobStatus(JobState.QUEUED, 0, _count(task, "queuing_num"), eta)
    if status == "running":
        return JobStatus(JobState.RUNNING, progress, eta_seconds=eta)
    if status == "success":
        output = task.at("output")
        url = next((u for u in (output.get(k, str) for k in _MODEL_KEYS) if u), None)
        if url is None:
            raise Malformed("tripo", "data.output.model_url is missing")
        return JobStatus(JobState.SUCCEEDED, 100, outputs=[JobOutput(url=url)])
    if status == "failed":
        code = task.get("error_code", int)
        message = task.get("error_msg", str) or task.get("error_message", str) or "no details"
        policy = code == CONTENT_POLICY
        return JobStatus(
            JobState.FAILED,
            error_code="CONTENT_POLICY_VIOLATION" if policy else "PROVIDER_ERROR",
            error_message=f"tripo reported the task failed (error {code}): {message[:500]}",
        )
    if status in _ENDINGS:
        code, message = _ENDINGS[status]
        return JobStatus(JobState.FAILED, error_code=code, error_message=message)
    if status == "unknown":
        raise RetryableError("tripo reports the task's status as unknown (a fault on its side)")
    raise undocumented("tripo", status)


def _count(task: Answer, key: str) -> int | None:
    """A non-negative number of the task (Tripo sends -1 for 'not applicable')."""
    value = task.get(key, float)
    return int(value) if value is not None and value >= 0 else None


def _data(body: Any) -> Answer:
    """`data` of Tripo's `{"code": 0, "data": ...}` envelope; a nonzero code is an error."""
    code = code_of(body)
    if code is not None:
        raise error_for(code, body) or ProviderError(
            "PROVIDER_ERROR", f"tripo answered with error code {code}: {describe(body)}"
        )
    return Answer("tripo", body).at("data")
