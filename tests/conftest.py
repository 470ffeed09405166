"""Fixtures: every storage-touching test runs on SQLite and on PostgreSQL, over real HTTP.

PostgreSQL: a fresh database is created for the run on MEDIAGATE_TEST_POSTGRES_URL (default: the
local server) and dropped afterwards. When CI is set, an unreachable server fails the run.
Each test gets its own account (accounts are isolated by design), so tests share one database
and one server per backend without interfering.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from helpers import engine_settings, serve_app
from mediagate.accounts import service as accounts
from mediagate.accounts.repository import Principal
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import DatabaseURL, parse_database_url
from own_postgres import own_postgres  # noqa: F401 (a fixture)
from process_support import cluster  # noqa: F401 (a fixture)

T = TypeVar("T")
PG_ADMIN_URL = os.environ.get(
    "MEDIAGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


class LoopThread:
    """An event loop in a thread, for test code that needs the async services directly."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


def _admin(coro_fn: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            return await coro_fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def _create_postgres_database() -> str:
    """A new, empty database on the test server; its URL. Fails the run under CI if unreachable."""
    name = f"mediagate_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        _admin(lambda c: c.execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _admin(lambda c: c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a database with no schema yet, on each backend (for migration and CLI tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_urls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """backend name -> a migrated database URL (created on first use)."""
    made: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/mediagate.db"
            else:
                url = request.getfixturevalue("postgres_url")
            upgrade(parse_database_url(url))
            made[backend] = url
        return made[backend]

    return get


@dataclass
class Live:
    """A running mediagate server on loopback, and direct access to its database."""

    backend: str
    url: str
    base_url: str
    db: Database
    loop: LoopThread
    data_dir: Path

    @property
    def database(self) -> DatabaseURL:
        return parse_database_url(self.url)

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run(coro)

    def new_key(self, *, test: bool = False, account: str | None = None) -> accounts.CreatedKey:
        name = account or f"acct-{secrets.token_hex(6)}"
        return self.run(accounts.create_key(self.db, account=name, test=test))

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


@pytest.fixture(scope="session", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    database_urls: Callable[[str], str],
    loop_thread: LoopThread,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    backend = request.param
    url = database_urls(backend)
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    settings = Settings(database_url=url, data_dir=data_dir, workers=0)
    server, thread, base_url = serve_app(create_app(settings))
    db = Database(settings.database)
    loop_thread.run(db.open())
    try:
        yield Live(backend, url, base_url, db, loop_thread, data_dir)
    finally:
        loop_thread.run(db.close())
        server.should_exit = True
        thread.join(10)


@dataclass
class Caller:
    """One account with one key, and an HTTP client that sends it."""

    live: Live
    key: accounts.CreatedKey
    http: httpx.Client

    @property
    def principal(self) -> Principal:
        return Principal(self.key.account_id, self.key.key_id, self.key.mode)


@pytest.fixture
def caller(live: Live) -> Iterator[Caller]:
    key = live.new_key()
    with live.client(key.secret) as http:
        yield Caller(live, key, http)


@pytest.fixture
def other(live: Live) -> Iterator[Caller]:
    """A second, unrelated account."""
    key = live.new_key()
    with live.client(key.secret) as http:
        yield Caller(live, key, http)


@dataclass
class EngineLive:
    """A server running the API and the engine (scripted and local providers) on its own
    database, so its workers never pick up other tests' tasks."""

    backend: str
    url: str
    base_url: str
    data_dir: Path
    key: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    @property
    def scripted_root(self) -> Path:
        return self.data_dir / "scripted"


@pytest.fixture(scope="module", params=BACKENDS)
def engine_live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineLive]:
    backend = request.param
    data_dir = tmp_path_factory.mktemp(f"engine-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{data_dir}/mediagate.db"
    else:
        url = _create_postgres_database()
    upgrade(parse_database_url(url))
    settings = engine_settings(url, data_dir)
    server, thread, base_url = serve_app(create_app(settings))

    async def make_key() -> str:
        db = Database(settings.database)
        try:
            return (await accounts.create_key(db, account="engine-tests")).secret
        finally:
            await db.close()

    try:
        yield EngineLive(backend, url, base_url, data_dir, asyncio.run(make_key()))
    finally:
        server.should_exit = True
        thread.join(15)
        if backend == "postgresql":
            _drop_postgres_database(url)
