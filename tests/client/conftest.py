"""Fixtures of the client tests: gateways on loopback running the `local` provider.

Most run on SQLite only: the client sees HTTP, and the storage backends have their own tests.
Event streams depend on how each database orders and announces commits, so their tests use
`any_gateway`: a gateway with workers on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_support import Gateway, HookReceiver, running_gateway

from mediagate.client import Client
from mediagate.config import Settings


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("client-gateway")) as gw:
        yield gw


@pytest.fixture(scope="session")
def strict_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Result URLs live one second; each key may make 60 requests a minute."""
    with running_gateway(
        tmp_path_factory.mktemp("strict-gateway"), url_ttl_seconds=1, rate_limit_per_minute=60
    ) as gw:
        yield gw


@pytest.fixture
def any_gateway(engine_live: Any) -> Gateway:
    """The API and workers of `engine_live` (a database of its own per module), on each
    backend; `new_key()` makes a key of a new account there."""
    settings = Settings(database_url=engine_live.url, data_dir=engine_live.data_dir)
    return Gateway(engine_live.base_url, settings)


@pytest.fixture(scope="session")
def old_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway from before event streams: no `.../stream` routes."""
    with running_gateway(tmp_path_factory.mktemp("old-gateway"), without_streams=True) as gw:
        yield gw


@pytest.fixture(scope="session")
def hook_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway that may deliver webhooks to loopback receivers."""
    with running_gateway(tmp_path_factory.mktemp("hook-gateway"), fetch_private_urls=True) as gw:
        yield gw


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    r = HookReceiver()
    yield r
    r.close()


@pytest.fixture
def client(gateway: Gateway) -> Iterator[Client]:
    """A client of a new account on `gateway`."""
    with gateway.client() as c:
        yield c
