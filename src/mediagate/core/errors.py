"""Errors a request can end in, with the contract's HTTP status and machine code."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "INVALID_PARAMETER"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class InvalidParameter(ServiceError):
    """`param` is the name the client used (`limit`, `input.width`, `Idempotency-Key`)."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"{param}: {problem}")
        self.param = param


class ModelNotFound(ServiceError):
    code = "MODEL_NOT_FOUND"


class Unauthorized(ServiceError):
    status_code = 401
    code = "UNAUTHORIZED"


class TaskNotFound(ServiceError):
    status_code = 404
    code = "TASK_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("Task not found")


class ResourceNotFound(ServiceError):
    """Anything but a task that the caller cannot see (a webhook endpoint, a delivery): answered
    exactly like one that never existed."""

    status_code = 404
    code = "NOT_FOUND"


class RouteNotFound(ServiceError):
    status_code = 404
    code = "NOT_FOUND"


class MethodNotAllowed(ServiceError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"


class TaskNotCancellable(ServiceError):
    status_code = 409
    code = "TASK_NOT_CANCELLABLE"


class IdempotencyConflict(ServiceError):
    status_code = 409
    code = "IDEMPOTENCY_CONFLICT"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(ServiceError):
    """Carries its `Retry-After` header (whole seconds)."""

    status_code = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    """The database or storage cannot be reached (nothing was changed): always with a
    `Retry-After` header (whole seconds), since outages end by themselves."""

    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    retry_after = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})


class InsufficientCredits(ServiceError):
    """A prepaid account's available credits, or a key's monthly spend limit, do not cover a
    task's hold. `needed` and `available` are in the currency unit."""

    status_code = 402
    code = "INSUFFICIENT_CREDITS"
