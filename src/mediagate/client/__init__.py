"""The Python client of the mediagate API: `Client` (blocking) and `AsyncClient`.

    from mediagate import Client
    with Client() as client:  # MEDIAGATE_URL, MEDIAGATE_API_KEY
        task = client.tasks.create(type="image", model="local-image", input={"prompt": "a fox"})
        client.tasks.download(client.tasks.wait(task), "fox.png")

It imports httpx and pydantic, never the server.
"""

from mediagate.client._client import AsyncClient, Client
from mediagate.client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DownloadError,
    IdempotencyConflict,
    InsufficientCredits,
    InternalError,
    InvalidParameter,
    InvalidResponse,
    MediagateError,
    ModelNotFound,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    TaskCancelled,
    TaskExpired,
    TaskFailed,
    TaskNotCancellable,
    TaskNotFound,
    TaskNotReady,
    TaskOutcomeError,
    Unauthorized,
    UnexpectedTaskStatus,
    WaitTimeout,
)
from mediagate.client.models import Model, Page, Pagination, Price, ResultFile, Task, TaskError
from mediagate.client.pagination import AsyncPaginator, Paginator

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPaginator",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "IdempotencyConflict",
    "InsufficientCredits",
    "InternalError",
    "InvalidParameter",
    "InvalidResponse",
    "MediagateError",
    "Model",
    "ModelNotFound",
    "NotFoundError",
    "Page",
    "Pagination",
    "Paginator",
    "PayloadTooLarge",
    "PermissionDenied",
    "Price",
    "RateLimited",
    "ResultFile",
    "ServerError",
    "ServiceUnavailable",
    "Task",
    "TaskCancelled",
    "TaskError",
    "TaskExpired",
    "TaskFailed",
    "TaskNotCancellable",
    "TaskNotFound",
    "TaskNotReady",
    "TaskOutcomeError",
    "Unauthorized",
    "UnexpectedTaskStatus",
    "WaitTimeout",
]
