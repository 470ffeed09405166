"""Webhook tests' receiver: a real HTTP server on loopback (a thread) that records every
delivery and answers as a test scripts it; and a gateway running the engine with loopback
receivers allowed (the fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from helpers import engine_settings, serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url

HOLD_MAX_S = 60.0


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request: after `hold` is set (or at once), `status` with
    `headers` and `body`."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The payload, if the standardwebhooks library accepts the signature with `secret`."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Records requests per path; answers each path's scripted answers in turn, then 200."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: dict[str, list[Answer]] = {}
        self._got: list[Received] = []
        self._in_flight: dict[str, int] = {}
        self._max_in_flight: dict[str, int] = {}
        self._holds: list[threading.Event] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = receiver._arrive(Received(self.path, headers, body, time.monotonic()))
                try:
                    if answer.hold is not None:
                        answer.hold.wait(HOLD_MAX_S)
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender gave up (timeout) or died meanwhile
                finally:
                    receiver._leave(self.path)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        with self._lock:
            self._script.setdefault(path, []).extend(answers)

    def hold(self) -> threading.Event:
        """An event that holds requests answered with it until set (or `close`)."""
        event = threading.Event()
        self._holds.append(event)
        return event

    def _arrive(self, got: Received) -> Answer:
        with self._lock:
            self._got.append(got)
            busy = self._in_flight.get(got.path, 0) + 1
            self._in_flight[got.path] = busy
            self._max_in_flight[got.path] = max(busy, self._max_in_flight.get(got.path, 0))
            queue = self._script.get(got.path)
            return queue.pop(0) if queue else Answer()

    def _leave(self, path: str) -> None:
        with self._lock:
            self._in_flight[path] -= 1

    def got(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._got if path is None or r.path == path]

    def max_in_flight(self, path: str) -> int:
        with self._lock:
            return self._max_in_flight.get(path, 0)

    def wait(
        self, path: str, until: Callable[[list[Received]], bool], timeout: float = 20
    ) -> list[Received]:
        """Poll until `until(requests to path)` holds; the requests then."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.got(path)
            if until(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: condition not met in {timeout}s; got {len(got)}")
            time.sleep(0.02)

    def wait_count(self, path: str, count: int, timeout: float = 20) -> list[Received]:
        return self.wait(path, lambda got: len(got) >= count, timeout)

    def close(self) -> None:
        for event in self._holds:
            event.set()
        self._server.shutdown()
        self._server.server_close()


def wait_until(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout}s")
        time.sleep(0.02)


#: Short times, so retries and timeouts happen within a test.
RETRY_SCHEDULE = "0.2s,0.2s,0.2s"
TIMEOUT_S = 1.0
LANE_LIMIT = 2

#: `narrow_gateway`: fewer delivery slots than a slow receiver has deliveries, and a timeout
#: that outlasts the test's checks.
NARROW_SLOTS = 4
NARROW_TIMEOUT_S = 8.0


@dataclass
class Gateway:
    """A server running the API and the engine (webhook sender included) on its own database,
    with loopback receivers allowed."""

    backend: str
    base_url: str
    db: Database
    loop: Any  # conftest.LoopThread
    app: Any

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro)

    def new_key(self, *, test: bool = False, account: str | None = None) -> accounts.CreatedKey:
        name = account or f"wh-{time.monotonic_ns()}"
        return self.run(accounts.create_key(self.db, account=name, test=test))

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def running_gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    loop_thread: Any,
    **overrides: Any,
) -> Iterator[Gateway]:
    """A gateway on its own database (its workers must not take other tests' tasks): on
    PostgreSQL a new one beside the session's (`postgres_url`, which skips or fails when there
    is no server)."""
    backend = request.param
    data_dir: Path = tmp_path_factory.mktemp(f"webhooks-{backend}")
    name = server_url = ""
    if backend == "sqlite":
        url = f"sqlite:///{data_dir}/mediagate.db"
    else:
        server_url = request.getfixturevalue("postgres_url")
        name = f"mediagate_wh_{secrets.token_hex(4)}"
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
        url = server_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(parse_database_url(url))
    options = {
        "fetch_private_urls": True,
        "webhook_retry_schedule": RETRY_SCHEDULE,
        "webhook_timeout_seconds": TIMEOUT_S,
        "webhook_concurrency": 8,
        "webhook_lane_concurrency": LANE_LIMIT,
        **overrides,
    }
    settings = engine_settings(url, data_dir, **options)
    app = create_app(settings)
    server, thread, base_url = serve_app(app)
    db = Database(settings.database)
    loop_thread.run(db.open())
    try:
        yield Gateway(backend, base_url, db, loop_thread, app)
    finally:
        loop_thread.run(db.close())
        server.should_exit = True
        thread.join(15)
        if name:
            asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
