"""Reading Server-Sent Events off a real HTTP response, as a browser's EventSource would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Message:
    id: str | None
    event: str | None
    data: str | None
    comment: bool = False

    @property
    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


def messages(response: httpx.Response, *, comments: bool = False) -> Iterator[Message]:
    """Each event (and, with `comments`, each comment-only block) as it arrives."""
    fields: dict[str, list[str]] = {}
    comment = False
    for line in response.iter_lines():
        if line == "":
            if fields:
                data = "\n".join(fields["data"]) if "data" in fields else None
                yield Message(fields.get("id", [None])[-1], fields.get("event", [None])[-1], data)
            elif comment and comments:
                yield Message(None, None, None, comment=True)
            fields, comment = {}, False
            continue
        if line.startswith(":"):
            comment = True
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)


def stream_events(
    http: httpx.Client, path: str, *, count: int | None = None, **kwargs: Any
) -> list[Message]:
    """Read the stream at `path` until it ends (or `count` events arrived)."""
    got: list[Message] = []
    with http.stream("GET", path, **kwargs) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in messages(response):
            got.append(message)
            if count is not None and len(got) >= count:
                break
    return got


class Collector:
    """Reads a stream in a thread, keeping every event, until the stream ends or `close()`
    (which returns at the stream's next heartbeat: use a gateway with short ones)."""

    def __init__(self, http: httpx.Client, path: str, **kwargs: Any) -> None:
        import threading

        self.got: list[Message] = []
        self.status: int | None = None
        self._stop = threading.Event()
        self.ended = threading.Event()
        self._opened = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, args=(http, path, kwargs), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the stream did not open"

    def _run(self, http: httpx.Client, path: str, kwargs: dict[str, Any]) -> None:
        try:
            with http.stream("GET", path, **kwargs) as response:
                self._response = response
                self.status = response.status_code
                self._opened.set()
                for message in messages(response, comments=True):
                    if self._stop.is_set():
                        return
                    if not message.comment:
                        self.got.append(message)
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by close()
        finally:
            self._opened.set()
            self.ended.set()

    def wait_for(self, predicate: Any, timeout: float = 30) -> list[Message]:
        import time

        deadline = time.monotonic() + timeout
        while not predicate(self.got):
            if time.monotonic() > deadline:
                raise AssertionError(f"stream did not get there: {[m.event for m in self.got]}")
            time.sleep(0.01)
        return self.got

    def close(self) -> None:
        """Stop reading at the next message or heartbeat (the server's keep-alive comments
        make that soon) and drop the connection."""
        self._stop.set()
        self._thread.join(10)
