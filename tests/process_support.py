"""Processes as they run in production: `serve --workers 0` for the API and `mediagate worker`
processes for the engine, on one database of each backend (the `cluster` fixture, registered
in conftest.py)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpers import cli_env, run_cli, start_serve, stop
from scripted_provider import read_calls

TESTS = Path(__file__).parent


@dataclass
class Cluster:
    env: dict[str, str]
    base: str
    data_dir: Path
    key: str
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediagate", "worker", "--workers", "4"],
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(proc)
        return proc

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    def calls(self, task_id: str) -> list[dict]:
        return [c for c in read_calls(self.data_dir / "scripted") if c["task"] == task_id]


@pytest.fixture
def cluster(empty_database: str, tmp_path: Path) -> Iterator[Cluster]:
    data_dir = tmp_path / "data"
    env = cli_env(
        database_url=empty_database,
        data_dir=str(data_dir),
        lease_seconds="1",
        idle_poll_seconds="0.2",
        provider_plugins='["scripted_provider:make"]',
        sse_heartbeat_seconds="0.5",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    api, base = start_serve(env, "--workers", "0")
    key = run_cli("keys", "create", "--account", "crash", env=env).stdout.strip().splitlines()[-1]
    c = Cluster(env, base, data_dir, key)
    try:
        yield c
    finally:
        for proc in c.workers:
            proc.kill()
            proc.wait(10)
        stop(api)


#: A status's place in a task's life (finals share the last): the contract lets it only grow.
RANK = {"pending": 0, "queued": 1, "running": 2}


def backward_moves(history: list[tuple[str, int]]) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """The moves of a task's sampled (status, progress) history that go backwards: to an
    earlier status, or to less progress."""
    moves = []
    for before, after in itertools.pairwise(history):
        if RANK.get(after[0], 3) < RANK.get(before[0], 3) or after[1] < before[1]:
            moves.append((before, after))
    return moves


def create_scripted(http: httpx.Client, prompt: str) -> str:
    body = {"type": "image", "model": "scripted-image", "input": {"prompt": prompt}}
    r = http.post("/api/v1/tasks", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]
