"""The seam between what the client does and how it does I/O.

Every operation (a request with its retries, `wait`, `download`, ...) is written once, as a
generator that yields effects (`Send` a request, `Fetch` a file to disk, `Sleep`; `Open` a
stream and `Read` it; `Emit` an item to the caller) and receives their outcome: a `Reply`, or a
`TransportFailure` thrown in. `Client` runs these generators with
blocking httpx and `AsyncClient` with async httpx (`_http.py`); neither knows any logic.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
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


@dataclass(frozen=True)
class Open:
    """Start a streamed request (an event stream). A 2xx answer stays open for `Read` (the
    Reply has no body); any other is read whole, as for `Send`. An operation has at most one
    stream open: the next `Open`, a failure or the end of the operation closes it.
    `read_timeout` bounds the wait for the answer and for each later chunk."""

    method: str
    url: str
    timeout: float
    read_timeout: float
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds the key


@dataclass(frozen=True)
class Read:
    """The next chunk of the open stream, within `timeout` seconds; an empty body at its end.
    A timeout is a TransportFailure (timeout=True), and the stream is closed."""

    timeout: float


@dataclass(frozen=True)
class Emit:
    """Hand `value` to whoever iterates the operation (`iterate`); the operation goes on when
    the next item is asked for. Outside `iterate` it is a programming error."""

    value: Any


Effect = Send | Fetch | Sleep | Open | Read | Emit


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


def relay(op: Op[T], on_emit: Callable[[Any], None]) -> Op[T]:
    """Run `op` inside another operation: its effects pass through, its `Emit`s go to
    `on_emit` instead of the caller (which may raise to stop it)."""
    try:
        reply: Reply | None = None
        failure: TransportFailure | None = None
        while True:
            step = advance(op, reply, failure)
            if isinstance(step, Done):
                return step.value
            reply, failure = None, None
            if isinstance(step, Emit):
                on_emit(step.value)
                continue
            try:
                reply = yield step
            except TransportFailure as exc:
                failure = exc
    finally:
        op.close()
