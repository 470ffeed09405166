"""Tripo's error codes as the gateway's errors.

Tripo answers a refused request with `{"code": <nonzero>, "message", "suggestion"}` and the HTTP
status of its table (docs.tripo3d.ai/get-started/errors-and-error-handling; 2000/2008/2010 from
its support FAQ). The official SDK treats a nonzero `code` as an error whatever the HTTP status,
and so does this module. Codes are read before HTTP statuses: they say more.
"""

from __future__ import annotations

from typing import Any

from mediagate.providers.base import JobNotFound, ProviderError, RateLimited, RetryableError

SERVER_ERRORS = (1000, 1001)  # HTTP 500: unknown / fatal error on Tripo's side
AUTH_FAILED = 1002  # HTTP 401
BAD_REQUEST = (1003, 1004)  # HTTP 400: malformed body / invalid parameter
FORBIDDEN = 1005  # HTTP 403
CONCURRENCY_LIMIT = 2000  # HTTP 429: too many queued and running tasks (default 10)
TASK_NOT_FOUND = 2001  # unknown task, or another key's (code not in the stored docs: unconfirmed)
CONTENT_POLICY = 2008  # the input violates Tripo's content policy
NO_CREDITS = 2010  # the account's credits are exhausted


def describe(body: Any) -> str:
    """`message (suggestion)` of an error body, briefly."""
    if not isinstance(body, dict):
        return "no details"
    parts = [body.get(key) for key in ("message", "suggestion")]
    text = " ".join(p.strip().rstrip(".") + "." for p in parts if isinstance(p, str) and p.strip())
    return text[:500] or "no details"


def code_of(body: Any) -> int | None:
    """The nonzero business code of a Tripo answer, if it has one."""
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        return code
    return None


def error_for(code: int, body: Any) -> ProviderError | None:
    """The error for Tripo's `code`; None for a code with no specific meaning here."""
    detail = f"(code {code}) {describe(body)}"
    if code in SERVER_ERRORS:
        return RetryableError(f"tripo had a server error {detail}")
    if code == AUTH_FAILED:
        return ProviderError(
            "PROVIDER_UNAVAILABLE",
            f"tripo refused the gateway's credentials {detail}; check MEDIAGATE_TRIPO_API_KEY",
        )
    if code == FORBIDDEN:
        return ProviderError(
            "PROVIDER_UNAVAILABLE", f"tripo refused the gateway's key access {detail}"
        )
    if code in BAD_REQUEST:
        return ProviderError("INVALID_INPUT", f"tripo refused the request {detail}")
    if code == CONCURRENCY_LIMIT:
        return RateLimited(f"tripo's limit of tasks at once is reached {detail}")
    if code == TASK_NOT_FOUND:
        return JobNotFound(f"tripo does not know this task {detail}")
    if code == CONTENT_POLICY:
        return ProviderError(
            "CONTENT_POLICY_VIOLATION", f"tripo refused the input under its content policy {detail}"
        )
    if code == NO_CREDITS:
        return ProviderError(
            "PROVIDER_UNAVAILABLE",
            f"tripo refused the task: the gateway's Tripo account has run out of credits {detail}",
        )
    return None
