"""Fixtures of the provider tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from local_support import SyncLocal
from remote_support import TEST_TIMING, Gateway, SimServer, running_gateway

from helpers import serve_app
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
    with running_gateway(sim_server, tmp_path_factory.mktemp("gateway")) as gw:
        yield gw
