"""Fixtures of the dashboard tests: a gateway with the engine in process (so tasks finish),
Debian's Chromium driven by Playwright (one browser per module), and a loopback webhook
receiver. Screenshots go to tests/artifacts/dashboard/ (ignored by git)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dashboard_support import Dash, Receiver, running_dash
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory, loop_thread: Any) -> Iterator[Dash]:
    """The browser tests run on SQLite (the session storage tests run on both databases)."""
    yield from running_dash(tmp_path_factory, loop_thread, "sqlite")


@pytest.fixture(scope="module")
def playwright(dash: Dash) -> Iterator[Playwright]:
    """Started after the gateway: the sync API keeps an event loop in this thread, where the
    gateway's set-up (`asyncio.run`) could no longer run."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (`apt-get install chromium`; never `playwright install`). Missing, the
    test fails: the browser tests must run wherever the suite runs."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield b
    b.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
