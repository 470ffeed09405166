"""What Seedance and Seedream share: ModelArk's base URL, Bearer API key and error vocabulary
(docs.byteplus.com/en/docs/ModelArk/1299023; body `{"error": {"code", "message", "param",
"type"}}`, the same in a 4xx answer and in a failed task's `error`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mediagate.providers.base import ProviderError
from mediagate.providers.remote import RemoteProvider

#: Codes (or code prefixes) that mean the account cannot use the model: worth a fallback.
_UNAVAILABLE = {
    "AccountOverdueError": "the ModelArk account is overdue (insufficient balance)",
    "AccessDenied": "the ModelArk account may not use this model",
    "ModelNotOpen": "the model is not activated on the ModelArk account",
    "InvalidEndpoint": "the model or endpoint is not available on the ModelArk account",
    "InvalidEndpointOrModel": "the model or endpoint is not available on the ModelArk account",
    # Answered with 429, but quotas rather than rate limits: nothing changes until an operator
    # acts (the free-token quota of "Free Tokens Only Mode", ModelArk/1465347; a trial quota).
    "ModelQuotaExhausted": "the account's free token quota for the model is used up",
    "QuotaExceeded": "the account's quota for the model is used up",
}


def error_code(code: str) -> str:
    """The contract's task error code for an Ark error code."""
    if "SensitiveContentDetected" in code:  # Input*/Output*/plain, with .Suffix variants
        return "CONTENT_POLICY_VIOLATION"
    if code.split(".")[0] in _UNAVAILABLE:
        return "PROVIDER_UNAVAILABLE"
    if code.startswith(("InvalidParameter", "MissingParameter", "InvalidArgument")):
        return "INVALID_INPUT"
    return "PROVIDER_ERROR"


def error_fields(body: Any) -> tuple[str, str, str]:
    """(code, message, param) of an Ark error body (or of a task's `error` object)."""
    error = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", ""
    values = [error.get(k) for k in ("code", "message", "param")]
    return tuple(v.strip()[:500] if isinstance(v, str) else "" for v in values)  # type: ignore[return-value]


class ArkProvider(RemoteProvider):
    """A ModelArk API: `Authorization: Bearer <API key>`; base URL ends in `/api/v3`."""

    default_base_url: ClassVar[str] = "https://ark.ap-southeast.bytepluses.com/api/v3"

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.credential('api_key')}"}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        code, message, param = error_fields(body)
        if not code or code == "AuthenticationError":
            return None  # the default: credentials refused (401/403), else INVALID_INPUT
        mapped = error_code(code)
        detail = f"{code}: {message or 'no message'}" + (f" (parameter {param})" if param else "")
        if mapped == "CONTENT_POLICY_VIOLATION":
            return ProviderError(mapped, f"{self.name} refused the content: {detail}")
        if mapped == "PROVIDER_UNAVAILABLE":
            reason = _UNAVAILABLE[code.split(".")[0]]
            return ProviderError(mapped, f"{self.name}: {reason} ({detail})")
        return ProviderError("INVALID_INPUT", f"{self.name} refused the request: {detail}")

    def refusal_429(self, body: Any) -> ProviderError | None:
        code, message, _ = error_fields(body)
        if code.split(".")[0] not in ("ModelQuotaExhausted", "QuotaExceeded"):
            return None  # RateLimitExceeded.*, ServerOverloaded ...: retried after a while
        reason = _UNAVAILABLE[code.split(".")[0]]
        return ProviderError("PROVIDER_UNAVAILABLE", f"{self.name}: {reason} ({code}: {message})")
