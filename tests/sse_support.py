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
