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
from mediagate.providers.http import Malformed, OutcomeUnknown

__all__ = [
    "JobNotFound",
    "JobOutput",
    "JobState",
    "JobStatus",
    "Malformed",
    "OutcomeUnknown",
    "Provider",
    "ProviderError",
    "RateLimited",
    "RetryableError",
    "SubmitRequest",
]
