"""The client's event stream parser, on the cases of the SSE spec a server or a proxy may send:
multi-line data, comments, ids, CRLF / CR / LF line ends (also split between chunks), a BOM."""

from __future__ import annotations

import pytest

from mediagate.client._sse import Decoder, Message


def _feed(*chunks: bytes) -> list[Message]:
    decoder = Decoder()
    return [message for chunk in chunks for message in decoder.feed(chunk)]


def _events(*chunks: bytes) -> list[tuple[str | None, str, str | None]]:
    return [(m.id, m.event, m.data) for m in _feed(*chunks) if m.data is not None]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(end: bytes) -> None:
    body = end.join([b"id: 1", b"event: task.running", b"data: {}", b"", b"data: two", b"", b""])
    assert _events(body) == [("1", "task.running", "{}"), ("1", "message", "two")]


def test_multi_line_data_comments_and_fields() -> None:
    body = (
        b": a heartbeat\n\n"
        b"event: task.progress\n"
        b"data: first\n"
        b": a comment between lines\n"
        b"data:second\n"  # no space after the colon
        b"data\n"  # a field with no colon: an empty value
        b"id: evt_1\n"
        b"unknown: ignored\n"
        b"retry: 1500\n"
        b"\n"
    )
    [message] = [m for m in _feed(body) if m.data is not None]
    assert message == Message("evt_1", "task.progress", "first\nsecond\n", 1500)


def test_chunks_split_anywhere_give_the_same_events() -> None:
    body = '\ufeffid: é1\r\nevent: task.succeeded\r\ndata: {"x": "ü"}\r\n\r\nid: 2\rdata: b\r\r'
    raw = body.encode()
    whole = _events(raw)
    assert whole == [("é1", "task.succeeded", '{"x": "ü"}'), ("2", "message", "b")]
    for size in (1, 2, 3, 7):
        assert _events(*(raw[i : i + size] for i in range(0, len(raw), size))) == whole
    # A CR at the end of one chunk and its LF at the start of the next are one line end.
    assert _events(b"data: a\r", b"\ndata: b\r\n\r\n") == [(None, "message", "a\nb")]


def test_ids_persist_reset_and_ignore_nul() -> None:
    decoder = Decoder()
    decoder.last_id = "evt_0"  # where a resumed stream starts
    got = list(
        decoder.feed(b"data: a\n\nid: evt_1\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")
    )
    assert [(m.id, m.data) for m in got] == [
        ("evt_0", "a"),
        ("evt_1", None),  # a block with an id alone moves the position
        ("evt_1", "b"),
        ("evt_1", "c"),  # an id with a NUL is ignored
        (None, "d"),  # an empty id resets it
    ]


def test_an_incomplete_event_is_never_dispatched() -> None:
    assert _events(b'id: 1\ndata: {"cut": ') == []
    assert _events(b"data: a\n") == []
