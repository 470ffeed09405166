"""The seam between what the client does and how it does I/O.

Every operation (a request with its retries, `wait`, `download`, ...) is written once, as a
generator that yields effects (`Send` a request, `Fetch` a file to disk, `Sleep`) and receives
their outcome: a `Reply`, or a `TransportFailure` thrown in. `Client` runs these generators with
blocking httpx and `AsyncClient` with async httpx (`_http.py`); neither knows any logic.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    """One API request; the answer's body is read whole (bounded)."""

    method: str
    url: str
    timeout: float
    params: Mapping[str, str] | None = None
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds the key


@dataclass(frozen=True)
class Fetch:
    """Download `url` (no API key: result URLs are signed) into `target`, through a temporary
    file renamed into place only once exactly `size` bytes arrived."""

    url: str = field(repr=False)  # signed
    target: Path
    size: int
    timeout: float


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Send | Fetch | Sleep


@dataclass(frozen=True)
class Reply:
    """An HTTP answer. For a `Fetch` answered 200, `body` is empty and `written` says how many
    bytes went to the file; `complete` whether that was exactly the expected size (and the
    file is now in place)."""

    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""
    written: int = 0
    complete: bool = False


class TransportFailure(Exception):
    """The request got no HTTP answer (connection refused or dropped, timeout, ...)."""

    def __init__(self, message: str, *, timeout: bool = False, retryable: bool = True) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.retryable = retryable


def failure_from(exc: httpx.HTTPError) -> TransportFailure:
    """httpx's exception as a TransportFailure; only network trouble is worth retrying."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TransportFailure(f"timed out ({detail})", timeout=True)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.ProxyError):
        return TransportFailure(detail, retryable=False)
    if isinstance(exc, httpx.TransportError):
        return TransportFailure(detail)
    return TransportFailure(detail, retryable=False)  # InvalidURL, DecodingError, ...


def lower_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


#: An operation: yields effects, receives replies (None after a Sleep), returns its result.
Op = Generator[Effect, Reply | None, T]


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T


def advance(op: Op[T], reply: Reply | None, failure: TransportFailure | None) -> Effect | Done[T]:
    """Resume `op` with the outcome of its last effect: its next effect, or Done."""
    try:
        return op.throw(failure) if failure is not None else op.send(reply)
    except StopIteration as stop:
        return Done(stop.value)
