"""Veo on the Gemini API: the `:predictLongRunning` request and its operation's status
(wire format as google-genai 2.34.0 sends and parses it; research 5.3-5.4)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mediagate.providers.answers import Answer
from mediagate.providers.base import JobOutput, JobState, JobStatus, RetryableError
from mediagate.providers.gemini.errors import operation_failure
from mediagate.providers.gemini.inline import InlineImage
from mediagate.providers.http import Malformed

PROVIDER = "gemini"
#: An operation name, as the job id (it is also the poll path under /v1beta/).
_OPERATION = re.compile(r"models/[A-Za-z0-9._-]+/operations/[A-Za-z0-9_-]+")
#: The file id in a generated video's URI (`.../v1beta/files/{id}:download?alt=media`).
_FILE = re.compile(r"/files/([A-Za-z0-9_-]+)")


def request_body(params: Mapping[str, Any], image: InlineImage | None) -> dict[str, Any]:
    instance: dict[str, Any] = {"prompt": params["prompt"]}
    if image is not None:
        instance["image"] = {"bytesBase64Encoded": image.data, "mimeType": image.mime_type}
    parameters: dict[str, Any] = {
        "aspectRatio": params.get("aspect_ratio", "16:9"),
        "durationSeconds": int(params.get("duration_seconds", 8)),
        "resolution": params.get("resolution", "720p"),
    }
    if params.get("negative_prompt"):
        parameters["negativePrompt"] = params["negative_prompt"]
    return {"instances": [instance], "parameters": parameters}


def operation_name(body: Any) -> str:
    name = Answer(PROVIDER, body).need("name", str)
    if not _OPERATION.fullmatch(name):
        raise Malformed(PROVIDER, f"the operation name {name[:80]!r} is not models/*/operations/*")
    return name


def is_operation(job_id: str) -> bool:
    return _OPERATION.fullmatch(job_id) is not None


def status(body: Any, base_url: str, api_key: str) -> JobStatus:
    """The operation as a job status; its videos as download URLs on `base_url` (as the SDK
    does, whatever host the URI names), fetched with the API key."""
    operation = Answer(PROVIDER, body)
    if not operation.get("done", bool, False):
        # Veo reports no queue, progress or ETA: the engine estimates them.
        return JobStatus(JobState.RUNNING)
    error = operation.get("error", dict)
    if error is not None:
        failure = operation.at("error")
        code, message = operation_failure(failure.get("code", int), failure.get("message", str))
        return JobStatus(JobState.FAILED, error_code=code, error_message=message)
    response = operation.get("response", dict)
    if response is None:
        raise RetryableError(
            "gemini reported an operation done with neither a response nor an error"
        )
    videos = operation.at("response").at("generateVideoResponse")
    outputs = []
    for sample in videos.items("generatedSamples"):
        uri = sample.at("video").need("uri", str)
        match = _FILE.search(uri)
        if match is None:
            raise Malformed(PROVIDER, f"the video URI {uri[:80]!r} names no file")
        url = f"{base_url.rstrip('/')}/v1beta/files/{match[1]}:download?alt=media"
        outputs.append(JobOutput(url=url, headers={"x-goog-api-key": api_key}))
    if outputs:
        return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)
    filtered = videos.get("raiMediaFilteredCount", int, 0) or 0
    reasons = [r.value for r in videos.items("raiMediaFilteredReasons") if isinstance(r.value, str)]
    if filtered > 0 or reasons:
        why = "; ".join(reasons) or f"{filtered} video(s) filtered"
        return JobStatus(
            JobState.FAILED,
            error_code="CONTENT_POLICY_VIOLATION",
            error_message=f"gemini's safety filters withheld the video: {why}"[:2000],
        )
    return JobStatus(
        JobState.FAILED, error_code="PROVIDER_ERROR", error_message="gemini returned no video"
    )
