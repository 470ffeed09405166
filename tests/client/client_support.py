"""Helpers of the client tests: a gateway on loopback, a proxy that loses an answer, a proxy that
cuts event streams mid-event, a scripted server that breaks the contract, and request counting."""

from __future__ import annotations

import asyncio
import contextlib
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

    def new_key(self, *, test: bool = False) -> str:
        """A key of a new account (`test`: a sandbox key): each test sees only its own tasks."""

        async def make() -> str:
            db = Database(self.settings.database)
            try:
                name = f"client-{secrets.token_hex(6)}"
                return (await accounts.create_key(db, account=name, test=test)).secret
            finally:
                await db.close()

        return asyncio.run(make())

    def client(self, key: str | None = None, **options: Any) -> Client:
        return Client(base_url=self.base_url, api_key=key or self.new_key(), **options)


def _without_streams(app: Any) -> Any:
    """`app` as if it had no `.../stream` routes: such a path is sent on as one it does not
    know, so the gateway's own 404 answers."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/stream"):
            path = scope["path"] + "-not-a-route"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await app(scope, receive, send)

    return asgi


@contextmanager
def running_gateway(
    data_dir: Path, *, without_streams: bool = False, **settings: Any
) -> Iterator[Gateway]:
    """`without_streams`: a gateway as it was before event streams (no `.../stream` routes)."""
    url = f"sqlite:///{data_dir}/mediagate.db"
    upgrade(parse_database_url(url))
    config = Settings(
        database_url=url, data_dir=data_dir, workers=4, idle_poll_seconds=0.5, **settings
    )
    app = create_app(config)
    server, thread, base_url = serve_app(_without_streams(app) if without_streams else app)
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


class CuttingProxy:
    """A loopback TCP proxy in front of `upstream`, one request per connection (it asks for
    `Connection: close`). The n-th event stream request (a path with `/stream`) gets
    `cuts[n]` complete events, then half of the next chunk, and its connection is cut
    (both sockets shut down): a real dropped connection in the middle of an event. Requests
    past `cuts` pass untouched. `heads` keeps each request's head, lower-cased."""

    def __init__(self, upstream: str, cuts: list[int]) -> None:
        self.upstream = (httpx.URL(upstream).host, httpx.URL(upstream).port)
        self.cuts = list(cuts)
        self.cut = 0
        self.heads: list[str] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def stream_heads(self) -> list[str]:
        return [head for head in self.heads if "/stream" in head.split("\r\n", 1)[0]]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
        head = b"\r\n".join([*lines, b"Connection: close"])
        text = head.decode("latin-1").lower()
        with self._lock:
            self.heads.append(text)
            is_stream = "/stream" in text.split("\r\n", 1)[0]
            cut_after = self.cuts.pop(0) if is_stream and self.cuts else None
        upstream = socket.create_connection(self.upstream)
        upstream.sendall(head + b"\r\n\r\n" + rest)
        threading.Thread(target=self._pump, args=(conn, upstream), daemon=True).start()
        self._answer(upstream, conn, cut_after)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass

    def _answer(self, upstream: socket.socket, conn: socket.socket, cut_after: int | None) -> None:
        """Forward the answer; with `cut_after`, that many complete events (blocks ending in a
        blank line), then half of what comes next, then cut."""
        try:
            while chunk := upstream.recv(65536):
                if cut_after is None:
                    conn.sendall(chunk)
                    continue
                pos = 0
                while cut_after > 0 and (end := chunk.find(b"\n\n", pos)) >= 0:
                    cut_after, pos = cut_after - 1, end + 2
                if cut_after > 0 or pos == len(chunk):
                    conn.sendall(chunk)
                    continue
                nxt = chunk.find(b"\n\n", pos)
                rest = (nxt if nxt >= 0 else len(chunk)) - pos
                conn.sendall(chunk[: pos + max(1, rest // 2)])
                with self._lock:
                    self.cut += 1
                return
        except OSError:
            pass
        finally:
            for sock in (conn, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._listener.close()


class HookReceiver:
    """A webhook receiver on loopback: answers 200 to every POST and keeps each one's
    (headers, body), headers in lower case."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def sse(*events: dict[str, Any]) -> bytes:
    """An event stream body with each event object as a message."""
    return b"".join(
        f"id: {e['id']}\nevent: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events
    )


def event_data(n: int, **task: Any) -> dict[str, Any]:
    """Event number `n` of the scripted task, with the task's fields changed by `task`."""
    status = task.get("status", "running")
    return {
        "id": f"evt_{n:032x}",
        "type": f"task.{status}",
        "created_at": "2026-11-23T10:00:02Z",
        "data": task_data(**task),
    }


SSE_HEADERS = {"Content-Type": "text/event-stream"}
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
        self.headers: list[dict[str, str]] = []  # of each request, names in lower case
        script = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                script.hits.append((self.command, path))
                script.headers.append({k.lower(): v for k, v in self.headers.items()})
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
