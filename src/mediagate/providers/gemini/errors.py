"""Google's error answers: `{"error": {"code", "message", "status", "details": [...]}}` over
HTTP, and `google.rpc.Status` (`{"code", "message"}`) in a finished operation."""

from __future__ import annotations

from typing import Any

from mediagate.providers.answers import names_policy
from mediagate.providers.base import ProviderError, RateLimited

#: Words of Google's safety refusals (Responsible AI filters, prohibited content).
POLICY_WORDS = (
    "safety",
    "responsible ai",
    "usage guidelines",
    "prohibited",
    "content policy",
    "sensitive",
    "violat",
)
#: google.rpc.Code values that mean the request itself was wrong.
_INVALID_RPC = {3: "INVALID_ARGUMENT", 11: "OUT_OF_RANGE"}


def is_policy(message: str) -> bool:
    return names_policy(message, POLICY_WORDS)


def error_of(body: Any) -> tuple[str, str, list[str]]:
    """(message, status, reasons) of an error body; empty strings when absent."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", []
    message = error.get("message")
    status = error.get("status")
    reasons = [
        d["reason"]
        for d in error.get("details") or []
        if isinstance(d, dict) and isinstance(d.get("reason"), str)
    ]
    return (
        message.strip()[:500] if isinstance(message, str) else "",
        status if isinstance(status, str) else "",
        reasons,
    )


def refusal(status: int, body: Any) -> ProviderError | None:
    """The error for a refused request (4xx other than 429; 401/403 included)."""
    message, rpc_status, reasons = error_of(body)
    text = message or f"HTTP {status}"
    if "API_KEY_INVALID" in reasons or "api key not valid" in text.lower():
        # Google answers a bad key with 400 INVALID_ARGUMENT, not 401.
        return ProviderError(
            "PROVIDER_UNAVAILABLE",
            f"gemini refused the gateway's credentials ({text}); check MEDIAGATE_GEMINI_API_KEY",
        )
    if status == 404:  # only for a request naming no job: the model is not served (any more)
        return ProviderError("PROVIDER_UNAVAILABLE", f"gemini does not serve this model: {text}")
    if rpc_status == "FAILED_PRECONDITION":  # e.g. "User location is not supported", billing
        return ProviderError("PROVIDER_UNAVAILABLE", f"gemini refused to serve the request: {text}")
    if is_policy(text):
        return ProviderError("CONTENT_POLICY_VIOLATION", f"gemini refused the prompt: {text}")
    return None


def operation_failure(code: int | None, message: str) -> tuple[str, str]:
    """(contract error code, message) of a finished operation's `error`."""
    text = message or "no message"
    if is_policy(text):
        return "CONTENT_POLICY_VIOLATION", f"gemini: {text}"
    if code in _INVALID_RPC:
        return "INVALID_INPUT", f"gemini refused the request ({_INVALID_RPC[code]}): {text}"
    return "PROVIDER_ERROR", f"gemini reported the operation failed (code {code}): {text}"


def rate_limited(body: Any) -> RateLimited | None:
    """A 429 whose body says when to retry: Google sends `google.rpc.RetryInfo` in the error's
    details (`"retryDelay": "38s"`) rather than a Retry-After header. None: the default."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict) or not str(detail.get("@type", "")).endswith("RetryInfo"):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                seconds = float(delay[:-1])
            except ValueError:
                return None
            message = error_of(body)[0] or "HTTP 429"
            return RateLimited(f"gemini is rate limiting: {message}", min(max(seconds, 0), 3600))
    return None
