"""The two transports: they run operations (`_effects.py`) on blocking or on async httpx.

They hold no logic: send a request and read its answer (bounded), stream a file into a `Sink`,
sleep, open an event stream and read its chunks, hand emitted items to the caller. Errors of the
network come back to the operation as a `TransportFailure`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any, TypeVar

import anyio
import httpx

from mediagate.client._config import ClientConfig
from mediagate.client._effects import (
    Done,
    Effect,
    Emit,
    Fetch,
    Op,
    Open,
    Read,
    Reply,
    Send,
    Sleep,
    TransportFailure,
    advance,
    failure_from,
    lower_headers,
)
from mediagate.client._files import Sink
from mediagate.client._streaming import AsyncStreamSlot, StreamSlot, open_args
from mediagate.client.errors import InvalidResponse

T = TypeVar("T")
MAX_API_BODY = 32 * 1024 * 1024  # an API answer larger than this is not one
MAX_ERROR_BODY = 64 * 1024  # of a failed download, enough for its message
CHUNK = 256 * 1024

Outcome = tuple[Reply | None, TransportFailure | None]


def _collect(chunks: list[bytes], chunk: bytes, limit: int, status: int) -> bool:
    """Add `chunk`; False once `limit` bytes are in (enough of an error body), and an
    InvalidResponse past MAX_API_BODY."""
    chunks.append(chunk)
    size = sum(map(len, chunks))
    if size > MAX_API_BODY:
        raise InvalidResponse(f"the gateway's answer is larger than {MAX_API_BODY} bytes", status)
    return size < limit


def _http_args(effect: Send) -> dict[str, Any]:
    return {
        "params": effect.params,
        "json": effect.json,
        "headers": effect.headers,
        "timeout": effect.timeout,
    }


def _emitted(value: Any) -> TypeError:
    return TypeError(f"this operation emits items ({type(value).__name__}): iterate it, not run")


def _reply(response: httpx.Response, chunks: list[bytes]) -> Reply:
    return Reply(response.status_code, lower_headers(response.headers), b"".join(chunks))


def _fetched(response: httpx.Response, sink: Sink, complete: bool) -> Reply:
    headers = lower_headers(response.headers)
    return Reply(200, headers, written=sink.received, complete=complete)


def new_http_kwargs(config: ClientConfig) -> dict[str, Any]:
    return {"timeout": config.timeout, "headers": {"User-Agent": config.user_agent}}


class SyncTransport:
    def __init__(self, config: ClientConfig, http: httpx.Client | None = None) -> None:
        self._owns = http is None
        self.http = http or httpx.Client(**new_http_kwargs(config))

    def run(self, op: Op[T]) -> T:
        done: list[T] = []
        driver = self._drive(op, done)
        try:
            for value in driver:
                raise _emitted(value)
        finally:
            driver.close()
        return done[0]

    def iterate(self, op: Op[Any]) -> Iterator[Any]:
        """The items `op` emits, as they come; closing the iterator ends `op`."""
        return self._drive(op, [])

    def close(self) -> None:
        if self._owns:
            self.http.close()

    def _drive(self, op: Op[T], done: list[T]) -> Generator[Any, None, None]:
        stream = StreamSlot()
        try:
            step = advance(op, None, None)
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    yield step.value
                    outcome: Outcome = (None, None)
                else:
                    outcome = self._perform(step, stream)
                step = advance(op, *outcome)
            done.append(step.value)
        finally:
            stream.close()
            op.close()

    def _perform(self, effect: Effect, stream: StreamSlot) -> Outcome:
        if isinstance(effect, Sleep):
            time.sleep(effect.seconds)
            return None, None
        if isinstance(effect, Read):
            return stream.read(effect.timeout)
        try:
            if isinstance(effect, Fetch):
                return self._fetch(effect), None
            if isinstance(effect, Open):
                return self._open(effect, stream), None
            assert isinstance(effect, Send)
            return self._send(effect), None
        except httpx.HTTPError as exc:
            return None, failure_from(exc)

    def _send(self, effect: Send) -> Reply:
        with self.http.stream(effect.method, effect.url, **_http_args(effect)) as response:
            return _reply(response, self._read(response.iter_bytes(), MAX_API_BODY + 1, response))

    def _open(self, effect: Open, stream: StreamSlot) -> Reply:
        stream.close()
        response = self.http.send(self.http.build_request(**open_args(effect)), stream=True)
        if not 200 <= response.status_code < 300:
            try:
                chunks = self._read(response.iter_bytes(), MAX_API_BODY + 1, response)
            finally:
                response.close()
            return _reply(response, chunks)
        stream.hold(response, effect.read_timeout)
        return Reply(response.status_code, lower_headers(response.headers))

    def _read(self, chunks: Iterator[bytes], limit: int, response: httpx.Response) -> list[bytes]:
        got: list[bytes] = []
        for chunk in chunks:
            if not _collect(got, chunk, limit, response.status_code):
                break
        return got

    def _fetch(self, effect: Fetch) -> Reply:
        with self.http.stream(
            "GET", effect.url, timeout=effect.timeout, follow_redirects=True
        ) as response:
            if response.status_code != 200:
                return _reply(response, self._read(response.iter_bytes(), MAX_ERROR_BODY, response))
            sink = Sink(effect.target, effect.size)
            try:
                for chunk in response.iter_bytes(CHUNK):
                    if not sink.write(chunk):
                        break
            except BaseException:
                sink.abort()
                raise
            return _fetched(response, sink, sink.finish())


class AsyncTransport:
    """File writes run in a worker thread, so a slow disk never blocks the event loop."""

    def __init__(self, config: ClientConfig, http: httpx.AsyncClient | None = None) -> None:
        self._owns = http is None
        self.http = http or httpx.AsyncClient(**new_http_kwargs(config))

    async def run(self, op: Op[T]) -> T:
        done: list[T] = []
        driver = self._drive(op, done)
        try:
            async for value in driver:
                raise _emitted(value)
        finally:
            await driver.aclose()
        return done[0]

    def iterate(self, op: Op[Any]) -> AsyncIterator[Any]:
        """The items `op` emits, as they come; `aclose()` of the iterator ends `op`."""
        return self._drive(op, [])

    async def close(self) -> None:
        if self._owns:
            await self.http.aclose()

    async def _drive(self, op: Op[T], done: list[T]) -> AsyncIterator[Any]:
        stream = AsyncStreamSlot()
        try:
            step = advance(op, None, None)
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    yield step.value
                    outcome: Outcome = (None, None)
                else:
                    outcome = await self._perform(step, stream)
                step = advance(op, *outcome)
            done.append(step.value)
        finally:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
            op.close()

    async def _perform(self, effect: Effect, stream: AsyncStreamSlot) -> Outcome:
        if isinstance(effect, Sleep):
            await anyio.sleep(effect.seconds)
            return None, None
        if isinstance(effect, Read):
            return await stream.read(effect.timeout)
        try:
            if isinstance(effect, Fetch):
                return await self._fetch(effect), None
            if isinstance(effect, Open):
                return await self._open(effect, stream), None
            assert isinstance(effect, Send)
            return await self._send(effect), None
        except httpx.HTTPError as exc:
            return None, failure_from(exc)

    async def _send(self, effect: Send) -> Reply:
        async with self.http.stream(effect.method, effect.url, **_http_args(effect)) as response:
            chunks = await self._read(response.aiter_bytes(), MAX_API_BODY + 1, response)
            return _reply(response, chunks)

    async def _open(self, effect: Open, stream: AsyncStreamSlot) -> Reply:
        await stream.aclose()
        request = self.http.build_request(**open_args(effect))
        response = await self.http.send(request, stream=True)
        if not 200 <= response.status_code < 300:
            try:
                chunks = await self._read(response.aiter_bytes(), MAX_API_BODY + 1, response)
            finally:
                await response.aclose()
            return _reply(response, chunks)
        stream.hold(response)
        return Reply(response.status_code, lower_headers(response.headers))

    async def _read(
        self, chunks: AsyncIterator[bytes], limit: int, response: httpx.Response
    ) -> list[bytes]:
        got: list[bytes] = []
        async for chunk in chunks:
            if not _collect(got, chunk, limit, response.status_code):
                break
        return got

    async def _fetch(self, effect: Fetch) -> Reply:
        async with self.http.stream(
            "GET", effect.url, timeout=effect.timeout, follow_redirects=True
        ) as response:
            if response.status_code != 200:
                chunks = await self._read(response.aiter_bytes(), MAX_ERROR_BODY, response)
                return _reply(response, chunks)
            sink = await anyio.to_thread.run_sync(Sink, effect.target, effect.size)
            try:
                async for chunk in response.aiter_bytes(CHUNK):
                    if not await anyio.to_thread.run_sync(sink.write, chunk):
                        break
            except BaseException:
                sink.abort()  # close and unlink: quick, and must run even when cancelled
                raise
            return _fetched(response, sink, await anyio.to_thread.run_sync(sink.finish))
