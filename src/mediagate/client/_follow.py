"""Following an event stream: every event once, in order, across dropped connections.

One operation for the task stream and the account stream (and `wait`). It emits each event
(see `Emit`) and remembers the last id; when the connection drops, goes silent, or the server
ends it early, it reconnects after a backoff with `Last-Event-ID`, and the gateway resumes
exactly after that event, so the consumer sees no gap and no duplicate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from mediagate.client._api import Api
from mediagate.client._effects import Emit, Op, Open, Read, Sleep, TransportFailure
from mediagate.client._parse import api_error, validate
from mediagate.client._retry import RETRY_STATUSES
from mediagate.client._sse import Decoder, Message
from mediagate.client.errors import (
    APIConnectionError,
    InvalidResponse,
    MediagateError,
    TaskNotFound,
)
from mediagate.client.models import Event

#: Answers that say the gateway has no such stream at all (an older gateway), as opposed to a
#: task it does not know (404 TASK_NOT_FOUND).
NO_ROUTE = frozenset({404, 405, 501})
#: Before the first event, a read waits at least this long even past a deadline: the grace an
#: ordinary request gets (`Api.call`), so a wait with no time left still sees a finished task.
FIRST_READ_GRACE = 1.0


class StreamUnavailable(Exception):
    """The gateway has no such stream, or it kept failing; `error` says why."""

    def __init__(self, error: MediagateError) -> None:
        super().__init__(str(error))
        self.error = error


class StreamDeadline(Exception):
    """The deadline passed before the stream ended."""


def _event(message: Message) -> Event:
    try:
        data = json.loads(message.data or "")
    except ValueError:
        raise InvalidResponse(
            f"the gateway sent an event ({message.event}) whose data is not JSON"
        ) from None
    return validate(Event, data, "event")


def follow(
    api: Api,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    after: str | None = None,
    until_final: bool = False,
    deadline: float | None = None,
    give_up: bool = False,
) -> Op[None]:
    """Emit each event of the stream at `path` (under /api/v1/), after event `after` if given.
    With `until_final`, return after a final event. Reconnects go on for ever once a
    connection has worked (the stream is meant to be followed for ever); before that, more
    than `max_retries` failed connections in a row raise the last error. With `give_up`, such
    a run of failures (or a gateway without the stream) raises StreamUnavailable instead, at
    any time. Past `deadline` (a time.monotonic() value): StreamDeadline."""
    config = api.config
    attempts = api.attempts()
    last_id, failures, established, seen_any = after, 0, False, False
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        headers, query = {"Cache-Control": "no-cache"}, dict(params or {})
        if last_id and last_id == after:
            query["after"] = last_id  # the caller's position: a bad one is named as theirs
        elif last_id:
            headers["Last-Event-ID"] = last_id
        grace = max(FIRST_READ_GRACE, left) if left is not None else None
        opening = Open(
            "GET",
            config.api_url(path),
            min(config.timeout, grace or config.timeout),
            min(config.stream_idle_timeout, grace or config.stream_idle_timeout),
            query,
            config.headers(headers),
        )
        got_bytes, delay = False, None
        error: MediagateError
        try:
            reply = yield opening
        except TransportFailure as failure:
            if not failure.retryable:
                raise api.connection_error(failure) from None
            error = api.connection_error(failure)
        else:
            assert reply is not None
            kind = reply.headers.get("content-type", "")
            if 200 <= reply.status < 300 and kind.startswith("text/event-stream"):
                established = True
                decoder = Decoder()
                decoder.last_id = last_id
                while True:
                    limit = config.stream_idle_timeout
                    if deadline is not None:
                        floor = 0.0 if seen_any else FIRST_READ_GRACE
                        limit = min(limit, max(floor, deadline - time.monotonic()))
                    try:
                        chunk = yield Read(limit)
                    except TransportFailure as failure:
                        if deadline is not None and time.monotonic() >= deadline:
                            raise StreamDeadline() from None
                        error = api.connection_error(failure)
                        break
                    assert chunk is not None
                    if not chunk.body:
                        error = APIConnectionError("the gateway ended the event stream early")
                        break
                    got_bytes = True
                    for message in decoder.feed(chunk.body):
                        last_id = message.id
                        if message.data is None:
                            continue
                        event = _event(message)
                        seen_any = True
                        yield Emit(event)
                        if until_final and event.is_final:
                            return
            elif 200 <= reply.status < 300:
                error = InvalidResponse(
                    f"the gateway answered the event stream with {kind or 'no content type'}",
                    reply.status,
                )
                raise StreamUnavailable(error)
            elif reply.status in NO_ROUTE:
                error = api_error(reply)
                if isinstance(error, TaskNotFound):
                    raise error
                raise StreamUnavailable(error)
            elif reply.status in RETRY_STATUSES:
                error, delay = api_error(reply), attempts.delay_after(reply)
                if delay is None:  # a Retry-After longer than the client waits
                    raise error
            else:
                raise api_error(reply)
        failures = 0 if got_bytes else failures + 1
        if failures > config.retry.max_retries and (give_up or not established):
            if give_up:
                raise StreamUnavailable(error)
            raise error
        if delay is None:
            delay = config.retry.backoff(min(failures, 8), api.rng)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamDeadline()
            delay = min(delay, left)
        yield Sleep(delay)
