"""What every remote adapter shares: one HTTP call to a provider, its failures classified.

A provider's answer is hostile input like any other: a status outside 2xx, a body that is not
JSON or not the documented shape, a connection that never answers. Each becomes one of the
errors of `providers.base`, so the engine treats every provider the same way:

- 429 -> `RateLimited` (with its `Retry-After`); 5xx, refused connections -> `RetryableError`;
- 401/403 -> `ProviderError("PROVIDER_UNAVAILABLE")` saying the credentials were refused;
- other 4xx -> whatever the adapter's `refusal` makes of the body (default `INVALID_INPUT`);
- a timeout or a torn connection *after the request went out* -> `OutcomeUnknown`: on a submit
  the provider may have started a job, so the engine must not simply submit again.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from mediagate.providers.base import JobNotFound, ProviderError, RateLimited, RetryableError

#: Turns a refused request (4xx other than 401/403/429) into the error to raise, or None for the
#: default; it gets the HTTP status and the parsed body (None when not JSON).
Refusal = Callable[[int, Any], ProviderError | None]
#: Turns a 429 answer's parsed body into the error to raise when it is not a rate limit (Kling
#: answers an exhausted balance with 429), or None for `RateLimited`.
Refusal429 = Callable[[Any], ProviderError | None]


class OutcomeUnknown(RetryableError):
    """The request went out but no usable answer came back (a timeout, a torn connection, a
    malformed body): the provider may or may not have acted on it."""


class Malformed(OutcomeUnknown):
    """The provider answered, but not with the documented JSON."""

    def __init__(self, provider: str, what: str) -> None:
        super().__init__(f"{provider} sent a malformed answer: {what}")


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds or seconds < 0:  # NaN or in the past
        return 0.0
    return min(seconds, 3600.0)


class ProviderHTTP:
    """An httpx client bound to one provider's base URL, with an overall time limit per call
    (enforced here too, so a transport without timeouts, such as the in-process sandbox, can
    never hang a step)."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Callable[[], Mapping[str, str]] | None = None,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        refusal: Refusal | None = None,
        refusal_429: Refusal429 | None = None,
    ) -> None:
        self.provider = provider
        self.timeout_s = timeout_s
        self._auth = auth
        self._refusal = refusal
        self._refusal_429 = refusal_429
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            transport=transport,
            follow_redirects=False,
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
        job: bool = False,
        timeout_s: float | None = None,
    ) -> Any:
        """Send one request and return its parsed JSON body (None for an empty 2xx body).
        `job`: the request names a job, so a 404 means the provider does not know it.
        `timeout_s`: this call's limit, if not the client's (a synchronous generation)."""
        limit = timeout_s or self.timeout_s
        headers = dict(self._auth()) if self._auth else {}
        content = None
        if json is not None:
            content = orjson.dumps(json)
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(limit + 1.0):
                response = await self.client.request(
                    method,
                    path,
                    content=content,
                    params=params,
                    headers=headers,
                    timeout=httpx.Timeout(limit, connect=min(limit, 10.0)),
                )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"cannot reach {self.provider}: {_describe(exc)}") from None
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise OutcomeUnknown(
                f"{self.provider} did not answer within {limit:g} s ({_describe(exc)})"
            ) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(
                f"the connection to {self.provider} broke: {_describe(exc)}"
            ) from None
        return self._answer(response, ok, job)

    def _answer(self, response: httpx.Response, ok: tuple[int, ...], job: bool) -> Any:
        body = _json_or_none(response.content)
        status = response.status_code
        if status in ok:
            if not response.content.strip():
                return None
            if body is _NOT_JSON:
                raise Malformed(self.provider, f"HTTP {status} with a body that is not JSON")
            return body
        detail = _detail(body, response)
        parsed = None if body is _NOT_JSON else body  # what adapters' refusal hooks read
        if status == 429:
            if self._refusal_429 is not None:
                other = self._refusal_429(parsed)
                if other is not None:
                    raise other
            raise RateLimited(
                f"{self.provider} is rate limiting: {detail}",
                retry_after_seconds(response.headers.get("retry-after")),
            )
        if status in (401, 403):
            refusal = self._refusal(status, parsed) if self._refusal else None
            if refusal is not None:
                raise refusal
            raise ProviderError(
                "PROVIDER_UNAVAILABLE",
                f"{self.provider} refused the gateway's credentials (HTTP {status}: {detail}); "
                "check its key in the gateway's configuration",
            )
        if job and status in (404, 410):
            raise JobNotFound(f"{self.provider} does not know this job (HTTP {status}: {detail})")
        if status >= 500 or status in (408, 425):
            raise RetryableError(f"{self.provider} answered HTTP {status}: {detail}")
        if self._refusal is not None:
            refusal = self._refusal(status, parsed)
            if refusal is not None:
                raise refusal
        if 400 <= status < 500:
            raise ProviderError("INVALID_INPUT", f"{self.provider} refused the request: {detail}")
        raise Malformed(self.provider, f"unexpected HTTP {status}")

    async def aclose(self) -> None:
        await self.client.aclose()


_NOT_JSON: Any = object()


def _json_or_none(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _detail(body: Any, response: httpx.Response) -> str:
    """A short, printable account of an error answer, whatever its shape."""
    if isinstance(body, dict):
        for container in (body.get("error"), body):
            if isinstance(container, dict):
                for name in ("message", "msg", "error_message", "reason"):
                    value = container.get(name)
                    if isinstance(value, str) and value.strip():
                        return _short(value)
    text = response.text if body is _NOT_JSON or body is None else orjson.dumps(body).decode()
    return _short(text) or f"HTTP {response.status_code}"


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
