"""What a gateway shows to anyone who can reach it: `/metrics` behind MEDIAGATE_METRICS_TOKEN,
and result URLs never built from a Host header outside MEDIAGATE_ALLOWED_HOSTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import cli_env, insert_tasks, run_cli, serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def gateway(tmp_path: Path, loop_thread: Any) -> Iterator[tuple[str, str, str]]:
    """A gateway with both settings: (base URL, an API key, a succeeded task of that key)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/mediagate.db",
        data_dir=tmp_path,
        workers=0,
        metrics_token=TOKEN,
        allowed_hosts=["media.example.com", "*.cdn.example.com", "127.0.0.1"],
    )
    upgrade(settings.database)
    db = Database(settings.database)
    loop_thread.run(db.open())
    key = loop_thread.run(accounts.create_key(db, account="exposure"))
    [task] = loop_thread.run(insert_tasks(db, key.account_id, 1, status="succeeded"))
    loop_thread.run(db.close())
    server, thread, base = serve_app(create_app(settings))
    try:
        yield base, key.secret, task
    finally:
        server.should_exit = True
        thread.join(10)


def test_metrics_need_the_token_when_it_is_set(gateway: tuple[str, str, str]) -> None:
    base, key, _ = gateway
    with httpx.Client(base_url=base, timeout=30) as http:
        for headers in ({}, {"Authorization": f"Bearer {key}"}, {"Authorization": "Bearer x"}):
            r = http.get("/metrics", headers=headers)
            assert r.status_code == 401, r.text
            assert r.json()["error"]["code"] == "UNAUTHORIZED"
            assert "mediagate_tasks" not in r.text
        r = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200
        assert "mediagate_tasks" in r.text


def test_metrics_are_open_without_the_setting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/mediagate.db"
    run_cli("db", "upgrade", env=cli_env(database_url=url))
    server, thread, base = serve_app(
        create_app(Settings(database_url=url, data_dir=tmp_path, workers=0))
    )
    try:
        assert httpx.get(f"{base}/metrics", timeout=30).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_host_outside_the_allowed_hosts_is_refused(gateway: tuple[str, str, str]) -> None:
    base, key, task = gateway
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        for path in (f"/api/v1/tasks/{task}", "/api/v1/tasks", "/healthz"):
            r = http.get(path, headers={"Host": "evil.example.net"})
            assert r.status_code == 400, (path, r.text)
            error = r.json()["error"]
            assert error["code"] == "INVALID_PARAMETER"
            assert error["message"].startswith("Host: 'evil.example.net'")
            assert "evil" not in r.headers.get("location", "")
        r = http.get("/v1/videos", headers={"Host": "evil.example.net:8443"})
        assert r.status_code == 400  # the OpenAI-compatible face too, in its own shape

        for host, origin in (
            ("media.example.com", "http://media.example.com"),
            ("MEDIA.example.com:8443", "http://media.example.com:8443"),
            ("eu.cdn.example.com", "http://eu.cdn.example.com"),
        ):
            got = http.get(f"/api/v1/tasks/{task}", headers={"Host": host})
            assert got.status_code == 200, (host, got.text)
            [item] = got.json()["data"]["result"]
            assert item["url"].lower().startswith(origin.lower() + "/files/")
        assert http.get("/healthz").status_code == 200  # 127.0.0.1 is allowed here


@pytest.mark.parametrize("host", ["cdn.example.com", "evilcdn.example.com", "media.example.co"])
def test_wildcards_match_subdomains_only(gateway: tuple[str, str, str], host: str) -> None:
    base, _, _ = gateway
    assert httpx.get(f"{base}/healthz", headers={"Host": host}, timeout=30).status_code == 400
