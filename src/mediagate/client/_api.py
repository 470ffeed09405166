"""One API call as an operation: send, retry what is safe to retry, parse the answer.

Every call the client makes is safe to retry: reads are, `create` sends an Idempotency-Key
(the same one on every try, so a retry answers the task the first try made), and cancelling
twice cancels once. So connection errors, 5xx and 429 are retried for all of them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from mediagate.client._config import ClientConfig
from mediagate.client._effects import Op, Send, TransportFailure
from mediagate.client._parse import Envelope, api_error, envelope
from mediagate.client._retry import RETRY_STATUSES, Attempts
from mediagate.client.errors import APIConnectionError, APITimeoutError, MediagateError


class Api:
    def __init__(self, config: ClientConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self.rng = rng or random.Random()

    def attempts(self, deadline: float | None = None) -> Attempts:
        return Attempts(self.config.retry, self.rng, deadline)

    def connection_error(self, failure: TransportFailure) -> APIConnectionError:
        cls = APITimeoutError if failure.timeout else APIConnectionError
        return cls(f"cannot reach the gateway at {self.config.base_url}: {failure}")

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
    ) -> Op[Envelope]:
        """`path` is under /api/v1/. With `deadline` (a time.monotonic() value) no retry waits
        past it and no request outlives it by much."""
        attempts = self.attempts(deadline)
        while True:
            timeout = self.config.timeout
            if deadline is not None:
                timeout = min(timeout, max(1.0, deadline - time.monotonic()))
            send = Send(
                method,
                self.config.api_url(path),
                timeout,
                params,
                json,
                self.config.headers(headers),
            )
            error: MediagateError
            try:
                reply = yield send
            except TransportFailure as failure:
                error = self.connection_error(failure)
                delay = attempts.backoff() if failure.retryable else None
            else:
                assert reply is not None
                if reply.status not in RETRY_STATUSES:
                    return envelope(reply)
                error, delay = api_error(reply), attempts.delay_after(reply)
            yield attempts.pause(error, delay)
