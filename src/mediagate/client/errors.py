"""Every error the client raises, under one base class, `MediagateError`.

- `APIError` and its subclasses: the gateway answered an error; they carry the HTTP status, the
  contract's `code` and `message`. One class per code (`TaskNotFound`, `RateLimited`, ...), each
  under a class per status (`BadRequestError`, `ConflictError`, ...); a code this client does
  not know yet becomes the class of its status.
- `TaskOutcomeError`: `wait` (or `download`) found the task ended without a result:
  `TaskFailed`, `TaskCancelled`, `TaskExpired`, `UnexpectedTaskStatus`. They carry the task.
- `WaitTimeout`: `wait` gave up after its own timeout; the task goes on at the gateway.
- `APIConnectionError` (and `APITimeoutError`): the gateway could not be reached, after retries.
- `InvalidResponse`: the gateway answered something outside the contract.
- `DownloadError`: a result file could not be downloaded.
- `ConfigurationError`: no API key, or a base URL that is not one.

Messages that come from the server are kept as sent in `.message`; `str(error)` shows them on
one line, with control characters replaced and a bounded length, so they are safe to print.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediagate.client.models import Task

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MAX_SHOWN = 500


def printable(text: Any, limit: int = _MAX_SHOWN) -> str:
    """`text` on one line: control characters become a space, and at most `limit` characters."""
    line = _UNPRINTABLE.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


class MediagateError(Exception):
    """Base class of every error of the mediagate client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return printable(self.message)


class ConfigurationError(MediagateError, ValueError):
    """The client cannot be made as asked (no API key, a malformed base URL, a bad argument)."""


class APIConnectionError(MediagateError):
    """The gateway could not be reached, or the connection broke (after the retries allowed)."""


class APITimeoutError(APIConnectionError):
    """The gateway did not answer in time (after the retries allowed)."""


class InvalidResponse(MediagateError):
    """The gateway answered something the contract does not allow (not JSON, missing fields,
    wrong types). `status_code` is the HTTP status of that answer."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class APIError(MediagateError):
    """The gateway answered with an error: `status_code`, the contract's `code`, `message`."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.headers = headers or {}

    def __str__(self) -> str:
        return f"{printable(self.message)} ({printable(self.code, 60)}, HTTP {self.status_code})"


class BadRequestError(APIError):
    """400."""


class InvalidParameter(BadRequestError):
    """400 `INVALID_PARAMETER`: the message names the parameter."""


class ModelNotFound(BadRequestError):
    """400 `MODEL_NOT_FOUND`."""


class Unauthorized(APIError):
    """401 `UNAUTHORIZED`: no key, or an unknown or revoked one."""


class InsufficientCredits(APIError):
    """402 `INSUFFICIENT_CREDITS`."""


class PermissionDenied(APIError):
    """403."""


class NotFoundError(APIError):
    """404."""


class TaskNotFound(NotFoundError):
    """404 `TASK_NOT_FOUND`: no such task for this account."""


class ConflictError(APIError):
    """409."""


class TaskNotCancellable(ConflictError):
    """409 `TASK_NOT_CANCELLABLE`: the task is already final."""


class IdempotencyConflict(ConflictError):
    """409 `IDEMPOTENCY_CONFLICT`: the Idempotency-Key was used with another request body."""


class PayloadTooLarge(APIError):
    """413 `PAYLOAD_TOO_LARGE`."""


class RateLimited(APIError):
    """429 `RATE_LIMITED`; `retry_after` is the server's `Retry-After` in seconds, if sent."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx."""


class InternalError(ServerError):
    """500 `INTERNAL_ERROR`."""


class ServiceUnavailable(ServerError):
    """503 `SERVICE_UNAVAILABLE`."""


BY_CODE: dict[str, type[APIError]] = {
    "INVALID_PARAMETER": InvalidParameter,
    "MODEL_NOT_FOUND": ModelNotFound,
    "UNAUTHORIZED": Unauthorized,
    "INSUFFICIENT_CREDITS": InsufficientCredits,
    "TASK_NOT_FOUND": TaskNotFound,
    "TASK_NOT_CANCELLABLE": TaskNotCancellable,
    "IDEMPOTENCY_CONFLICT": IdempotencyConflict,
    "PAYLOAD_TOO_LARGE": PayloadTooLarge,
    "RATE_LIMITED": RateLimited,
    "INTERNAL_ERROR": InternalError,
    "SERVICE_UNAVAILABLE": ServiceUnavailable,
}
BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: Unauthorized,
    402: InsufficientCredits,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_class(status_code: int, code: str) -> type[APIError]:
    """The class of an error answer: by its code, else by its status."""
    if code in BY_CODE:
        return BY_CODE[code]
    if status_code in BY_STATUS:
        return BY_STATUS[status_code]
    return ServerError if status_code >= 500 else APIError


class TaskOutcomeError(MediagateError):
    """The task ended without a result; `task` is the task as last read."""

    def __init__(self, message: str, task: Task) -> None:
        super().__init__(message)
        self.task = task

    @property
    def task_id(self) -> str:
        return self.task.id


class TaskFailed(TaskOutcomeError):
    """The task failed; `code` is its error code (`PROVIDER_ERROR`, `TIMEOUT`, ...)."""

    def __init__(self, task: Task) -> None:
        error = task.error
        self.code = error.code if error else "UNKNOWN"
        reason = f"{self.code}: {error.message}" if error and error.message else self.code
        super().__init__(f"task {task.id} failed: {reason}", task)


class TaskCancelled(TaskOutcomeError):
    def __init__(self, task: Task) -> None:
        why = f" ({task.error.code}: {task.error.message})" if task.error else ""
        super().__init__(f"task {task.id} was cancelled{why}", task)


class TaskExpired(TaskOutcomeError):
    def __init__(self, task: Task) -> None:
        super().__init__(
            f"task {task.id} has expired: its results were deleted after the retention period",
            task,
        )


class UnexpectedTaskStatus(TaskOutcomeError):
    """The task is final (it has `completed_at`) with a status this client does not know."""

    def __init__(self, task: Task) -> None:
        super().__init__(
            f"task {task.id} ended with status {task.status!r}, which this client does not "
            "know; upgrade the client",
            task,
        )


class TaskNotReady(MediagateError):
    """`download` of a task that has not finished yet; `task` is the task as read."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"task {task.id} is still {task.status}; wait for it first")
        self.task = task


class WaitTimeout(MediagateError):
    """`wait` gave up after `timeout` seconds; `task` is the task as last read (it goes on)."""

    def __init__(self, task: Task, timeout: float) -> None:
        super().__init__(f"task {task.id} is still {task.status} after {timeout:g} s")
        self.task = task
        self.timeout = timeout


class DownloadError(MediagateError):
    """A result file could not be downloaded; `url` is the file's URL (signed: do not log it
    where others can read it), `status_code` the answer's status if there was one."""

    def __init__(self, message: str, *, url: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
