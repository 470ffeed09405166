"""The open event stream of one running operation, for each transport: read a chunk within a
time limit, close it. A read that times out closes the stream (the operation reconnects)."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import anyio
import httpx

from mediagate.client._effects import Open, Reply, TransportFailure, failure_from

Outcome = tuple[Reply | None, TransportFailure | None]
_END = Reply(200, {}, b"")


def open_args(effect: Open) -> dict[str, Any]:
    return {
        "method": effect.method,
        "url": effect.url,
        "params": effect.params,
        "headers": {"Accept": "text/event-stream", **effect.headers},
        "timeout": httpx.Timeout(effect.timeout, read=effect.read_timeout),
    }


def _timed_out(seconds: float) -> TransportFailure:
    return TransportFailure(f"no data on the event stream for {seconds:g} s", timeout=True)


def _shutdown(sock: socket.socket) -> None:
    """Wake a read blocked on `sock` in another thread (the base class's shutdown: on a TLS
    socket, SSLSocket's own would tear its state down under the reader)."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class StreamSlot:
    """Blocking httpx: each chunk waits at most the stream's read timeout (httpx's own, fixed
    when the stream opened); a shorter limit of one read is kept by a timer that shuts the
    socket down when it runs out, which ends the blocked read at once."""

    def __init__(self) -> None:
        self._response: httpx.Response | None = None
        self._chunks: Any = None
        self._read_timeout = 0.0

    def hold(self, response: httpx.Response, read_timeout: float) -> None:
        self._response, self._chunks = response, response.iter_bytes()
        self._read_timeout = read_timeout

    def _socket(self) -> socket.socket | None:
        assert self._response is not None
        network = self._response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        return sock if isinstance(sock, socket.socket) else None

    def read(self, timeout: float) -> Outcome:
        if self._response is None:
            return _END, None
        timer = None
        if timeout < self._read_timeout and (sock := self._socket()) is not None:
            timer = threading.Timer(max(0.0, timeout), _shutdown, (sock,))
            timer.daemon = True
            timer.start()
        try:
            chunk = next(self._chunks, b"")
        except httpx.HTTPError as exc:
            self.close()
            if timer is not None and timer.finished.is_set():
                return None, _timed_out(timeout)
            return None, failure_from(exc)
        finally:
            if timer is not None:
                timer.cancel()
        if timer is not None and timer.finished.is_set() and not chunk:
            self.close()
            return None, _timed_out(timeout)
        if not chunk:
            self.close()
        return Reply(200, {}, chunk), None

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = self._chunks = None


class AsyncStreamSlot:
    """Async httpx: a read past its limit is cancelled, which closes the connection."""

    def __init__(self) -> None:
        self._response: httpx.Response | None = None
        self._chunks: Any = None

    def hold(self, response: httpx.Response) -> None:
        self._response, self._chunks = response, response.aiter_bytes()

    async def read(self, timeout: float) -> Outcome:  # noqa: ASYNC109 - a Read's limit
        if self._response is None:
            return _END, None
        try:
            with anyio.fail_after(max(0.0, timeout)):
                chunk = await anext(self._chunks, b"")
        except TimeoutError:
            await self.aclose()
            return None, _timed_out(timeout)
        except httpx.HTTPError as exc:
            await self.aclose()
            return None, failure_from(exc)
        if not chunk:
            await self.aclose()
        return Reply(200, {}, chunk), None

    async def aclose(self) -> None:
        if self._response is not None:
            response, self._response, self._chunks = self._response, None, None
            await response.aclose()
