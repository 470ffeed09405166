"""Fixtures of the client tests: gateways on loopback running the `local` provider.

They run on SQLite only: the client sees HTTP, and the storage backends have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_support import Gateway, running_gateway

from mediagate.client import Client


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
def client(gateway: Gateway) -> Iterator[Client]:
    """A client of a new account on `gateway`."""
    with gateway.client() as c:
        yield c
