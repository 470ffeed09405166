"""A client that goes away in the middle of its request body is a client disconnect in the log
(at debug), not an unhandled error with a traceback: any client could flood the error log."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest


def test_a_body_cut_short_is_logged_as_a_disconnect(
    live: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = live.new_key()
    address = urlsplit(live.base_url)
    caplog.set_level(logging.DEBUG, logger="mediagate")
    head = (
        "POST /api/v1/tasks HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        f"Authorization: Bearer {key.secret}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"type": "image", "mod')
        time.sleep(0.3)  # the server is reading the body now
    deadline = time.monotonic() + 10
    while not any("client disconnected" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "no disconnect logged"
        time.sleep(0.05)
    time.sleep(0.2)  # anything logged after the disconnect line
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not noisy, [(r.name, r.getMessage()) for r in noisy]
    said = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert [(r.levelno, r.exc_info) for r in said] == [(logging.DEBUG, None)]
    assert "POST /api/v1/tasks" in said[0].getMessage()
