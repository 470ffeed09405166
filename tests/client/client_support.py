"""Helpers of the client tests: a gateway on loopback, a proxy that loses an answer, a scripted
server that breaks the contract, and request counting."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from helpers import serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.client import Client
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url

SMALL = {
    "image": ("local-image", {"width": 64, "height": 48}),
    "video": ("local-video", {"duration": 0.5, "width": 64, "height": 48, "fps": 8}),
    "audio": ("local-audio", {"duration": 0.5}),
    "music": ("local-music", {"duration": 0.5, "format": "mp3"}),
    "model3d": ("local-3d", {}),
}
#: A video the local renderer refuses (no frames): the task fails with INVALID_INPUT.
FAILING_VIDEO = {"duration": 0.01, "fps": 1, "width": 64, "height": 64}


@dataclass
class Gateway:
    """A mediagate API with workers (local provider) on loopback, on its own SQLite store."""

    base_url: str
    settings: Settings

    def new_key(self) -> str:
        """A key of a new account: each test sees only its own tasks."""

        async def make() -> str:
            db = Database(self.settings.database)
            try:
                name = f"client-{secrets.token_hex(6)}"
                return (await accounts.create_key(db, account=name)).secret
            finally:
                await db.close()

        return asyncio.run(make())

    def client(self, key: str | None = None, **options: Any) -> Client:
        return Client(base_url=self.base_url, api_key=key or self.new_key(), **options)


@contextmanager
def running_gateway(data_dir: Path, **settings: Any) -> Iterator[Gateway]:
    url = f"sqlite:///{data_dir}/mediagate.db"
    upgrade(parse_database_url(url))
    config = Settings(
        database_url=url, data_dir=data_dir, workers=4, idle_poll_seconds=0.5, **settings
    )
    server, thread, base_url = serve_app(create_app(config))
    try:
        yield Gateway(base_url, config)
    finally:
        server.should_exit = True
        thread.join(15)


@dataclass
class Recorder:
    """Every answer an httpx client got: (method, path, status), in order."""

    seen: list[tuple[str, str, int]] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        self.seen.append((response.request.method, response.request.url.path, response.status_code))

    def statuses(self, path_part: str = "") -> list[int]:
        return [status for _, path, status in self.seen if path_part in path]

    def http(self) -> httpx.Client:
        return httpx.Client(event_hooks={"response": [self]})

    def async_http(self) -> httpx.AsyncClient:
        async def hook(response: httpx.Response) -> None:
            self(response)

        return httpx.AsyncClient(event_hooks={"response": [hook]})


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """One HTTP/1.1 message with a Content-Length body (or none) from `sock`; None at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, _ = bytes(buffer).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    total = len(head) + 4 + length
    while len(buffer) < total:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    message = bytes(buffer[:total])
    del buffer[:total]
    return message


class LosingProxy:
    """A loopback proxy in front of `upstream` that forwards each request, but for the first
    one `lose` matches it closes the client's connection once the upstream has answered: the
    gateway did the work, the client never hears of it (a real lost response)."""

    def __init__(self, upstream: str, lose: Callable[[bytes], bool]) -> None:
        host, port = httpx.URL(upstream).host, httpx.URL(upstream).port
        self.upstream = (host, port)
        self.lose = lose
        self.lost = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        with conn:
            while (request := _read_message(conn, buffer)) is not None:
                self.requests.append(request)
                with socket.create_connection(self.upstream) as upstream:
                    upstream.sendall(request)
                    answer = _read_message(upstream, bytearray())
                if answer is None:
                    return
                if self.lost == 0 and self.lose(request):
                    self.lost += 1
                    return  # closes the connection without a byte of the answer
                conn.sendall(answer)

    def close(self) -> None:
        self._listener.close()


Answer = tuple[int, dict[str, str], bytes]


def envelope(data: Any, **extra: Any) -> bytes:
    return json.dumps({"success": True, "data": data, **extra}).encode()


def task_data(**fields: Any) -> dict[str, Any]:
    """A well-formed task object, changed by `fields`."""
    task = {
        "id": "task_abcdefghijklmnopqrstuv",
        "type": "image",
        "status": "running",
        "provider": "local",
        "model": "local-image",
        "progress": 50,
        "queue_position": -1,
        "eta_seconds": 3,
        "cost": 0,
        "created_at": "2026-11-23T10:00:00Z",
        "started_at": "2026-11-23T10:00:01Z",
        "completed_at": None,
        "metadata": {},
    }
    task.update(fields)
    return task


class ScriptedServer:
    """A real HTTP server on loopback answering from a script: `routes[(method, path)]` is a
    list of answers given in turn (the last one repeats). For what a real gateway never does."""

    def __init__(self, routes: dict[tuple[str, str], list[Answer]]) -> None:
        self.routes = routes
        self.hits: list[tuple[str, str]] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                script.hits.append((self.command, path))
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                answers = script.routes.get((self.command, path))
                if not answers:
                    status, headers, body = 404, {}, b'{"success": false}'
                else:
                    status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def client(self, **options: Any) -> Client:
        return Client(base_url=self.url, api_key="mg_live_scriptedscriptedscripted", **options)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
