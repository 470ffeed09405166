"""On PostgreSQL the per-key rate limit is one bucket shared by every API process: two
`serve` processes behind a load balancer admit the limit, not twice the limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from helpers import cli_env, run_cli, start_serve, stop

LIMIT = 4


@pytest.fixture
def two_apis(
    database_urls: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[list[str], list[str]]]:
    env = cli_env(
        database_url=database_urls("postgresql"),
        data_dir=str(tmp_path),
        rate_limit_per_minute=str(LIMIT),
    )
    first, first_url = start_serve(env, "--workers", "0")
    try:
        second, second_url = start_serve(env, "--workers", "0")
        try:
            keys = [
                run_cli("keys", "create", "--account", name, env=env).stdout.split()[-1]
                for name in ("shared-limit", "shared-limit-other")
            ]
            yield [first_url, second_url], keys
        finally:
            stop(second)
    finally:
        stop(first)


def test_two_api_processes_share_one_bucket_per_key(
    two_apis: tuple[list[str], list[str]],
) -> None:
    bases, (key, other) = two_apis
    auth = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=b, headers=auth, timeout=30) for b in bases]
    try:
        # The limit's burst, spread over both processes, the hot path and the routes alike.
        paths = ["/api/v1/tasks", "/api/v1/tasks/task_abcdefghijklmnopqrstuv"]
        statuses = [clients[i % 2].get(paths[i // 2 % 2]).status_code for i in range(LIMIT)]
        assert statuses == [200, 200, 404, 404]
        for client in clients:  # either process refuses the next one: the bucket is empty
            for path in paths:
                refused = client.get(path)
                assert refused.status_code == 429, (path, refused.text)
                assert refused.json()["error"]["code"] == "RATE_LIMITED"
                assert 1 <= int(refused.headers["retry-after"]) <= 60 // LIMIT
        with httpx.Client(base_url=bases[1], timeout=30) as fresh:  # a bucket per key
            auth = {"Authorization": f"Bearer {other}"}
            assert fresh.get("/api/v1/tasks", headers=auth).status_code == 200
    finally:
        for client in clients:
            client.close()
