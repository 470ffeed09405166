"""Fixtures of the webhook tests: a receiver on loopback, and gateways (API and engine) on each
backend with loopback receivers allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from webhook_support import (
    NARROW_SLOTS,
    NARROW_TIMEOUT_S,
    Gateway,
    Receiver,
    running_gateway,
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, loop_thread: Any
) -> Iterator[Gateway]:
    """Short retries (RETRY_SCHEDULE) and timeouts (TIMEOUT_S), 8 delivery slots, lanes of
    LANE_LIMIT."""
    yield from running_gateway(request, tmp_path_factory, loop_thread)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def narrow_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, loop_thread: Any
) -> Iterator[Gateway]:
    """NARROW_SLOTS delivery slots and a long timeout (NARROW_TIMEOUT_S)."""
    yield from running_gateway(
        request,
        tmp_path_factory,
        loop_thread,
        webhook_concurrency=NARROW_SLOTS,
        webhook_timeout_seconds=NARROW_TIMEOUT_S,
    )
