"""Server-Sent Events from raw bytes, as the WHATWG spec reads them (the parsing an EventSource
does): lines end in CRLF, LF or CR (also split across chunks); `data` lines join with LF; a
line starting with `:` is a comment; an `id` with a NUL is ignored; a blank line dispatches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mediagate.client.errors import InvalidResponse

#: A line longer than this is not an event of the contract.
MAX_LINE = 32 * 1024 * 1024


@dataclass(frozen=True)
class Message:
    """One dispatched block. `data` is None for a block without data lines (nothing for a
    consumer, but its `id` still moves the stream's position); `id` is the stream's last
    event id after this block."""

    id: str | None
    event: str
    data: str | None
    retry: int | None = None


class Decoder:
    """Feed chunks of the body in order; get each complete message as soon as it is."""

    def __init__(self) -> None:
        self._buffer = b""
        self._skip_lf = False  # the last chunk ended in CR: an LF first in the next is its pair
        self._first = True
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self.last_id: str | None = None

    def feed(self, chunk: bytes) -> Iterator[Message]:
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._skip_lf = False
        self._buffer += chunk
        while True:
            cr, lf = self._buffer.find(b"\r"), self._buffer.find(b"\n")
            ends = [i for i in (cr, lf) if i >= 0]
            if not ends:
                break
            end = min(ends)
            size = 2 if end == cr and self._buffer[end + 1 : end + 2] == b"\n" else 1
            if end == cr and end + 1 == len(self._buffer):
                self._skip_lf = True  # a CR last: its LF may come in the next chunk
            line, self._buffer = self._buffer[:end], self._buffer[end + size :]
            message = self._line(line.decode("utf-8", "replace"))
            if message is not None:
                yield message
        if len(self._buffer) > MAX_LINE:
            raise InvalidResponse(f"an event stream line is longer than {MAX_LINE} bytes")

    def _line(self, line: str) -> Message | None:
        if self._first:
            self._first = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_id = value or None
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> Message:
        data = "\n".join(self._data) if self._data else None
        message = Message(self.last_id, self._event or "message", data, self._retry)
        self._data, self._event, self._retry = [], "", None
        return message
