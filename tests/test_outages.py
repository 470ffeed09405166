"""A database that goes away: every route answers `503 SERVICE_UNAVAILABLE` with `Retry-After`
(never a 500), the keep-alive connection stays usable through it, and the first requests
after the database is back succeed, with nothing restarted. Also: any error answer, a 500
included, leaves the connection usable."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import cli_env, image_body, run_cli, serve_app, start_serve, stop
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url
from own_postgres import OwnPostgres

# Every route that reads or writes the database, on the hot path and through FastAPI.
ROUTES = [
    ("GET", "/api/v1/tasks/{task}", None),  # the fast path
    ("GET", "/api/v1/tasks", None),
    ("POST", "/api/v1/tasks", image_body("during the outage")),
    ("POST", "/api/v1/tasks/{task}/cancel", None),
    ("GET", "/api/v1/tasks/{task}/events", None),
    ("GET", "/api/v1/events", None),
    ("GET", "/api/v1/models", None),
    ("GET", "/api/v1/webhooks", None),
    ("GET", "/api/v1/account", None),
    ("GET", "/api/v1/account/ledger", None),
    ("GET", "/api/v1/usage", None),
    ("GET", "/v1/videos", None),  # the OpenAI-compatible face: its own error shape
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/metrics", None),
]


def peer(response: httpx.Response) -> tuple[str, int]:
    """The client side of the TCP connection that carried `response`."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def send(http: httpx.Client, method: str, path: str, body: dict | None, task: str):
    return http.request(method, path.format(task=task), json=body)


@pytest.fixture
def pg_gateway(own_postgres: OwnPostgres, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """`serve` on a database of its own PostgreSQL server: (base URL, key, a task id)."""
    env = cli_env(database_url=own_postgres.url(), data_dir=str(tmp_path / "data"))
    api, base = start_serve(env, "--workers", "0")
    try:
        key = run_cli("keys", "create", "--account", "outage", env=env).stdout.split()[-1]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
            created = http.post("/api/v1/tasks", json=image_body("before the outage"))
            assert created.status_code == 202, created.text
        yield base, key, created.json()["data"]["id"]
    finally:
        stop(api)


def test_postgres_outage_answers_503_on_every_route_then_recovers(
    own_postgres: OwnPostgres, pg_gateway: tuple[str, str, str]
) -> None:
    base, key, task = pg_gateway
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        first = http.get(f"/api/v1/tasks/{task}")
        assert first.status_code == 200
        connection = peer(first)

        own_postgres.stop()
        for method, path, body in ROUTES:
            r = send(http, method, path, body, task)
            assert r.status_code == 503, (method, path, r.status_code, r.text)
            assert r.headers["retry-after"].isdigit(), (method, path)
            if not path.startswith("/v1/"):
                assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE", (path, r.text)
            assert peer(r) == connection, f"{method} {path} lost the keep-alive connection"

        own_postgres.start()
        deadline = time.monotonic() + 60
        while True:  # the first reads after the restart may still meet a dead pooled connection
            r = http.get(f"/api/v1/tasks/{task}")
            assert r.status_code in (200, 503), r.text
            assert peer(r) == connection
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 200
        for method, path, body in ROUTES:
            if path == "/readyz":
                continue  # no worker runs here: not ready, rightly
            r = send(http, method, path, body, task)
            if r.status_code == 503:  # another pooled connection found dead: once, at most
                r = send(http, method, path, body, task)
            assert r.status_code < 300, (method, path, r.status_code, r.text)
            assert peer(r) == connection
        assert http.get(f"/api/v1/tasks/{task}").json()["data"]["status"] == "cancelled"


def test_sqlite_locked_past_the_busy_timeout_answers_503_then_recovers(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout (a backup, a
    stuck maintenance script): writes answer 503 with Retry-After, reads go on, and writes
    succeed again once the lock is released, on the same connection."""
    url = f"sqlite:///{tmp_path}/mediagate.db"
    upgrade(parse_database_url(url))
    settings = Settings(database_url=url, data_dir=tmp_path, workers=0)
    server, thread, base = serve_app(create_app(settings))
    key = run_cli("keys", "create", "--account", "locked", env=cli_env(database_url=url))
    secret = key.stdout.split()[-1]
    holder = sqlite3.connect(tmp_path / "mediagate.db", isolation_level=None)
    try:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=30
        ) as http:
            created = http.post("/api/v1/tasks", json=image_body("before"))
            assert created.status_code == 202
            connection = peer(created)
            holder.execute("BEGIN IMMEDIATE")
            refused = http.post("/api/v1/tasks", json=image_body("while locked"))
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert refused.headers["retry-after"].isdigit()
            assert peer(refused) == connection
            read = http.get(f"/api/v1/tasks/{created.json()['data']['id']}")
            assert read.status_code == 200  # readers never wait for the writer (WAL)
            holder.execute("ROLLBACK")
            again = http.post("/api/v1/tasks", json=image_body("after"))
            assert again.status_code == 202, again.text
            assert peer(again) == connection
            listed = http.get("/api/v1/tasks").json()
            assert listed["pagination"]["total"] == 2  # the refused create changed nothing
    finally:
        holder.close()
        server.should_exit = True
        thread.join(10)


def test_an_unexpected_error_is_a_500_that_keeps_the_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/mediagate.db"
    upgrade(parse_database_url(url))
    app = create_app(Settings(database_url=url, data_dir=tmp_path, workers=0))

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    server, thread, base = serve_app(app)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            first = http.get("/healthz")
            failed = http.get("/broken")
            assert failed.status_code == 500
            assert failed.json() == {
                "success": False,
                "error": {
                    "code": "INTERNAL_ERROR",
                    "message": "internal error; the server log has details",
                },
            }
            assert "connection" not in failed.headers or failed.headers["connection"] != "close"
            after = http.get("/healthz")
            assert after.status_code == 200
            assert peer(first) == peer(failed) == peer(after)
    finally:
        server.should_exit = True
        thread.join(10)
