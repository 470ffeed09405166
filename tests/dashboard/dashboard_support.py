"""Dashboard test support: the gateway under test, a browser page that records every console
error and failed request, signing in, screenshots, and a webhook receiver on loopback."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from helpers import engine_settings, serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Dash:
    backend: str
    base_url: str
    db: Database
    loop: Any  # conftest.LoopThread

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro)

    def new_key(self, *, test: bool = False, account: str | None = None) -> accounts.CreatedKey:
        name = account or f"dash-{time.monotonic_ns()}"
        return self.run(accounts.create_key(self.db, account=name, test=test))

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def url(self, path: str) -> str:
        return self.base_url + path


def running_dash(
    tmp_path_factory: pytest.TempPathFactory, loop_thread: Any, backend: str, url: str = ""
) -> Iterator[Dash]:
    data_dir = tmp_path_factory.mktemp(f"dashboard-{backend}")
    url = url or f"sqlite:///{data_dir}/mediagate.db"
    upgrade(parse_database_url(url))
    settings = engine_settings(url, data_dir, fetch_private_urls=True)
    server, thread, base_url = serve_app(create_app(settings))
    db = Database(settings.database)
    loop_thread.run(db.open())
    try:
        yield Dash(backend, base_url, db, loop_thread)
    finally:
        loop_thread.run(db.close())
        server.should_exit = True
        thread.join(15)


@dataclass
class Watched:
    """A browser page and what went wrong on it: console errors, uncaught exceptions."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()


def open_page(browser: Browser, **context_options: Any) -> Watched:
    context = browser.new_context(**context_options)
    page = context.new_page()
    watched = Watched(context, page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.errors.append(f"{page.url}: {exc}"))
    return watched


def sign_in(page: Page, dash: Dash, key: str) -> None:
    page.goto(dash.url("/dashboard/sign-in"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/dashboard/tasks$"))


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout}s")
        time.sleep(0.05)


class Receiver:
    """A webhook receiver on loopback: answers 200 and records each request's path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
