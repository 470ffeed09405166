"""Kling's service codes (the official error-code table) in the contract's terms. Every answer
carries `{"code", "message", "request_id"}`; 0 is success, whatever the HTTP status."""

from __future__ import annotations

from typing import Any

from mediagate.providers.base import ProviderError, RateLimited, RetryableError

#: Content safety words of a failed task's `task_status_msg` (Kling gives no code there).
POLICY_WORDS = ("risk", "safety", "sensitive", "violat", "policy", "inappropriate", "moderat")


def error_for(code: int, message: str) -> ProviderError:
    """The error for a non-zero service code."""
    detail = f"code {code}: {message or 'no message'}"
    if 1000 <= code <= 1004:
        return ProviderError(
            "PROVIDER_UNAVAILABLE",
            f"kling refused the gateway's credentials ({detail}); check MEDIAGATE_KLING_ACCESS_KEY "
            "and MEDIAGATE_KLING_SECRET_KEY",
        )
    if code in (1100, 1101, 1102):
        return ProviderError(
            "PROVIDER_UNAVAILABLE", f"kling refused the task: account or balance problem ({detail})"
        )
    if code == 1103:
        return ProviderError(
            "PROVIDER_UNAVAILABLE", f"the Kling account may not use this model ({detail})"
        )
    if code == 1304:
        return ProviderError("PROVIDER_UNAVAILABLE", f"kling refused the gateway's IP ({detail})")
    if code in (1300, 1301):
        return ProviderError("CONTENT_POLICY_VIOLATION", f"kling refused the content ({detail})")
    if code in (1302, 1303):
        return RateLimited(f"kling is rate limiting ({detail})")
    if code >= 5000:
        return RetryableError(f"kling failed ({detail})")
    return ProviderError("INVALID_INPUT", f"kling refused the request ({detail})")


def from_body(body: Any) -> ProviderError | None:
    """The error of a Kling error body, or None when it has no service code."""
    if not isinstance(body, dict):
        return None
    code, message = body.get("code"), body.get("message")
    if not isinstance(code, int) or isinstance(code, bool) or code == 0:
        return None
    return error_for(code, message.strip()[:300] if isinstance(message, str) else "")
