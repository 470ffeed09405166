"""Fixtures of the provider tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from local_support import SyncLocal
from remote_support import TEST_TIMING, Gateway, SimServer, gateway_settings

from helpers import serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url
from mediagate.simulator import Simulator


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "local-jobs"


@pytest.fixture
def make_local(jobs_dir: Path) -> Iterator[Callable[..., SyncLocal]]:
    """Make LocalProviders on one shared jobs directory, like processes sharing a data dir;
    all are closed after the test."""
    made: list[SyncLocal] = []

    def make(**options: Any) -> SyncLocal:
        local = SyncLocal(jobs_dir, **options)
        made.append(local)
        return local

    yield make
    for local in made:
        local.dispose()


@pytest.fixture(scope="session")
def sim_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """The provider simulator, served over loopback HTTP for the whole session."""
    sim = Simulator(tmp_path_factory.mktemp("simulator"), timing=TEST_TIMING)
    server, thread, url = serve_app(sim.app())
    yield SimServer(url, sim)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def gateway(sim_server: SimServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway on SQLite whose live providers call `sim_server` over loopback, and whose
    sandbox runs on its own in-process simulator."""
    data_dir = tmp_path_factory.mktemp("gateway")
    url = f"sqlite:///{data_dir}/mediagate.db"
    upgrade(parse_database_url(url))
    settings = gateway_settings(sim_server, data_dir, url)
    server, thread, base_url = serve_app(create_app(settings))

    async def make_keys() -> tuple[str, str]:
        db = Database(settings.database)
        try:
            live = await accounts.create_key(db, account="providers")
            test = await accounts.create_key(db, account="providers", test=True)
            return live.secret, test.secret
        finally:
            await db.close()

    live_key, test_key = asyncio.run(make_keys())
    gw = Gateway(base_url, live_key, test_key, sim_server, data_dir)
    yield gw
    gw.close()
    server.should_exit = True
    thread.join(15)
