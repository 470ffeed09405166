"""`mediagate serve` as a user runs it: a real process, its own schema, the API over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import cli_env, run_cli, start_serve, stop


@pytest.fixture
def served(empty_database: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A `mediagate serve` process: on SQLite with nothing configured but the data dir (the
    embedded default), on PostgreSQL with a plain `postgresql://` URL."""
    data_dir = tmp_path / "data"
    settings = {"data_dir": str(data_dir)}
    if empty_database.startswith("postgresql"):
        settings["database_url"] = empty_database
    env = cli_env(**settings)
    proc, base = start_serve(env, "--workers", "0")
    try:
        yield base, env, data_dir
    finally:
        stop(proc)


def test_serve_brings_the_schema_up_and_answers_the_api(served):
    base, env, data_dir = served
    health = httpx.get(f"{base}/healthz").json()["data"]
    assert health["status"] == "ok"
    if health["database"] == "sqlite":
        assert (data_dir / "mediagate.db").is_file()

    created = run_cli("keys", "create", "--account", "quickstart", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        body = {"type": "image", "model": "local-image", "input": {"prompt": "a fox"}}
        task = http.post("/api/v1/tasks", json=body, headers={"Idempotency-Key": "k1"})
        assert task.status_code == 202, task.text
        task_id = task.json()["data"]["id"]
        assert http.get(f"/api/v1/tasks/{task_id}").json()["data"]["model"] == "local-image"
        listed = http.get("/api/v1/tasks", params={"modelId": "local-image"}).json()
        assert [t["id"] for t in listed["data"]] == [task_id]
        assert listed["pagination"] == {"cursor": None, "hasMore": False, "total": 1}
        models = http.get("/api/v1/models").json()["data"]
        assert {"local-image", "local-video", "local-audio", "local-music", "local-3d"} <= {
            m["id"] for m in models
        }
