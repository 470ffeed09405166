"""Vidu's errors (platform.vidu.com/docs/error-code) in the contract's terms: refused requests
(`{"code", "reason", "message", "metadata"}` bodies) and the `err_code` of failed tasks."""

from __future__ import annotations

from typing import Any

from mediagate.providers.base import JobState, JobStatus, ProviderError, RetryableError

#: Moderation of the input (at submit or in the task) and of the output.
POLICY = frozenset({"AuditSubmitIllegal", "TaskPromptPolicyViolation", "CreationPolicyViolation"})
_INPUT = frozenset({"BadRequest", "FieldLacking", "FieldUnwanted", "FieldItemCountOutOfRange",
                    "FieldInvalid", "ImageDownloadFailure", "ImageFormatInvalid"})  # fmt: skip
_UNAVAILABLE = {
    "CreditInsufficient": "the Vidu account has too few credits",
    "ModelUnavailable": "the model is unavailable at Vidu",
}


def refusal(status: int, body: Any) -> ProviderError | None:
    """The error for a refused request (4xx other than 429)."""
    reason, message = _reason(body)
    detail = f"{reason}: {message}" if message else reason
    if reason in POLICY:
        return ProviderError("CONTENT_POLICY_VIOLATION", f"vidu refused the content ({detail})")
    if reason in _UNAVAILABLE:
        return ProviderError("PROVIDER_UNAVAILABLE", f"{_UNAVAILABLE[reason]} ({detail})")
    if reason == "OperationInProcess":
        return RetryableError(f"vidu asks to retry later ({detail})")
    if status in (401, 403):
        return None  # the framework's "credentials refused"
    if reason:
        return ProviderError("INVALID_INPUT", f"vidu refused the request ({detail})")
    return None


def failure(err_code: str) -> JobStatus:
    """The status of a task Vidu reports `failed` with `err_code`."""
    if err_code == "UserCancelled":
        return JobStatus(JobState.CANCELLED)
    message = f"vidu: the task failed ({err_code or 'no err_code'})"
    if err_code in POLICY:
        code = "CONTENT_POLICY_VIOLATION"
    elif err_code in _UNAVAILABLE:
        code, message = "PROVIDER_UNAVAILABLE", f"vidu: {_UNAVAILABLE[err_code]} ({err_code})"
    elif err_code in _INPUT:
        code = "INVALID_INPUT"
    else:
        code = "PROVIDER_ERROR"
    return JobStatus(JobState.FAILED, error_code=code, error_message=message)


def _reason(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        return "", ""
    reason, message = body.get("reason"), body.get("message")
    return (
        reason[:80] if isinstance(reason, str) else "",
        message.strip()[:300] if isinstance(message, str) else "",
    )
