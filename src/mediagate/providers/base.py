"""The provider interface: every provider (the offline `local` one and each remote API) plugs
into the engine through this, and nothing else.

A provider job goes through one short step at a time: `submit` once, then `poll` until a final
state; `cancel` when the client asks. Each call is one request to the provider (or, for
`local`, one look at its job directory) and must return promptly: the engine holds a lease that
covers only that step.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediagate.catalog.spec import ModelSpec


class JobState(enum.StrEnum):
    QUEUED = "queued"  # accepted, waiting at the provider
    RUNNING = "running"  # the provider is generating
    SUCCEEDED = "succeeded"  # `outputs` holds the files
    FAILED = "failed"  # `error_code` / `error_message` say why
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobOutput:
    """One output file: a URL to fetch (remote providers) or a local file (`local`)."""

    url: str | None = None
    path: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. auth needed to fetch `url`


@dataclass(frozen=True)
class JobStatus:
    state: JobState
    progress: int | None = None  # 0-100, when the provider says
    queue_position: int | None = None
    eta_seconds: int | None = None
    outputs: Sequence[JobOutput] = ()
    error_code: str | None = None  # one of the contract's task error codes, when FAILED
    error_message: str | None = None
    poll_after_s: float | None = None  # the provider's hint for the next poll


@dataclass(frozen=True)
class SubmitRequest:
    task_id: str
    model: ModelSpec
    input: Mapping[str, Any]  # validated against `model.input_model`, defaults filled in
    client_ref: str  # recorded before the call; providers that can, attach it to the job
    sandbox: bool = False


class ProviderError(Exception):
    """A call failed. `retryable` errors are retried with backoff; others end the task."""

    retryable = False

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RetryableError(ProviderError):
    """5xx, timeouts, connection errors, a malformed answer: try the same step again later."""

    retryable = True

    def __init__(self, message: str, code: str = "PROVIDER_ERROR") -> None:
        super().__init__(code, message)


class RateLimited(RetryableError):
    """429: try again after `retry_after_s`. Never fails a task by itself."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message, "PROVIDER_UNAVAILABLE")
        self.retry_after_s = retry_after_s


class JobNotFound(ProviderError):
    """The provider does not know the job (any more)."""

    def __init__(self, message: str = "the provider no longer knows this job") -> None:
        super().__init__("PROVIDER_ERROR", message)


class Provider(abc.ABC):
    name: str
    #: A second submit of the same task costs nothing (the offline provider): a task whose
    #: submit may or may not have reached the provider is simply submitted again.
    resubmit_safe: bool = False
    #: The provider has a cancel call; otherwise a cancelled task's job runs on, discarded.
    supports_cancel: bool = False
    #: Seconds from a submit to the first poll, if the provider knows better than the default
    #: schedule (the offline provider renders small files in well under a second).
    first_poll_s: float | None = None
    #: False when its credentials are missing (it then serves sandbox tasks only);
    #: `missing_config` names the settings to set.
    configured: bool = True
    missing_config: str = ""
    #: The client that fetches its output URLs, if not the engine's (the sandbox's simulator).
    output_http: Any = None

    @abc.abstractmethod
    def models(self) -> Sequence[ModelSpec]:
        """The models it serves: type, input JSON schema and defaults, price."""

    def serves(self, spec: ModelSpec) -> bool:
        """Whether it can run `spec`: its own models, and those it is a fallback for."""
        return spec.provider == self.name

    @abc.abstractmethod
    async def submit(self, request: SubmitRequest) -> str:
        """Start a job; returns the provider's job id."""

    @abc.abstractmethod
    async def poll(self, job_id: str) -> JobStatus:
        """The job's current state, normalised."""

    async def cancel(self, job_id: str) -> None:  # noqa: B027 - optional capability
        """Ask the provider to stop the job (only called when `supports_cancel`)."""

    async def find_job(self, client_ref: str) -> str | None:
        """The job submitted earlier with `client_ref`, if the provider can look it up (Kling's
        `external_task_id`); None if it cannot or there is none. Used after a crash between a
        submit and the storing of its job id, to avoid a second paid job."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""
