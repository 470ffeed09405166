"""Providers: the interface (`base`) and its implementations, one module or package each."""

from mediagate.providers.base import (
    JobNotFound,
    JobOutput,
    JobState,
    JobStatus,
    Provider,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)

__all__ = [
    "JobNotFound",
    "JobOutput",
    "JobState",
    "JobStatus",
    "Provider",
    "ProviderError",
    "RateLimited",
    "RetryableError",
    "SubmitRequest",
]
