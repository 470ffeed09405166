"""Support for the remote provider tests: the simulator on a loopback port, and a gateway
whose live providers all point at it (with the simulator's credentials) while its sandbox uses
the built-in in-process simulator."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from helpers import FINAL, serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url
from mediagate.providers.registry import remote_classes
from mediagate.simulator import SIM_CREDENTIALS, Simulator, Timing

#: Quick jobs, so a test sees every state in about a second.
TEST_TIMING = Timing(queue_s=0.4, run_s=0.8, slow_queue_s=6.0, slow_run_s=6.0, queue_step_s=1.0)


@dataclass
class SimServer:
    url: str
    sim: Simulator

    def base_url(self, provider: str) -> str:
        """The provider's base URL on this simulator (its real path prefix kept)."""
        cls = remote_classes()[provider]
        return self.url + httpx.URL(cls.default_base_url).path.rstrip("/")


def gateway_settings(sim: SimServer, data_dir: Path, database_url: str, **extra: Any) -> Settings:
    """Settings with every remote provider configured against `sim`."""
    values: dict[str, Any] = {}
    for name, cls in remote_classes().items():
        values[f"{name}_base_url"] = sim.base_url(name)
        for credential in cls.credential_names:
            values[f"{name}_{credential}"] = SIM_CREDENTIALS[name][credential]
    values.update(extra)
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        workers=16,
        lease_seconds=5,
        idle_poll_seconds=0.2,
        # A storm is a run of 2 refusals: 4 tries leave one for a slow answer on a loaded
        # machine (a CI run once failed a storm on a third error at 3 tries).
        max_attempts=4,
        provider_timeout_seconds=2.5,
        **values,
    )


@dataclass
class Gateway:
    """A running gateway (API and engine) and keys of one account: live and sandbox."""

    base_url: str
    live_key: str
    test_key: str
    sim: SimServer
    data_dir: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, *, sandbox: bool = False) -> httpx.Client:
        key = self.test_key if sandbox else self.live_key
        http = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        self.clients.append(http)
        return http

    def create(
        self, model: str, task_type: str, prompt: str, *, sandbox: bool = False, **fields: Any
    ) -> dict[str, Any]:
        body = {"type": task_type, "model": model, "input": {"prompt": prompt, **fields}}
        response = self.client(sandbox=sandbox).post("/api/v1/tasks", json=body)
        assert response.status_code == 202, response.text
        return response.json()["data"]

    def wait(
        self, task_id: str, *, until: set[str] = FINAL, timeout: float = 60, sandbox: bool = False
    ) -> dict[str, Any]:
        """The task once its status is in `until`, with `seen`: every (status, progress,
        queue_position) observed, in order."""
        http = self.client(sandbox=sandbox)
        deadline = time.monotonic() + timeout
        seen: list[tuple[str, int, int]] = []
        while True:
            task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
            state = (task["status"], task["progress"], task["queue_position"])
            if not seen or seen[-1] != state:
                seen.append(state)
            if task["status"] in until:
                task["seen"] = seen
                return task
            if time.monotonic() > deadline:
                raise AssertionError(f"{task_id} still {task['status']} after {timeout}s: {seen}")
            time.sleep(0.05)

    def download(self, task: dict[str, Any], dest: Path) -> list[Path]:
        """Fetch every result file of a succeeded task from the gateway's signed URLs."""
        paths = []
        for index, item in enumerate(task["result"]):
            response = httpx.get(item["url"], timeout=30)
            assert response.status_code == 200, response.text
            path = dest / f"{task['id']}-{index}.{item['format']}"
            path.write_bytes(response.content)
            assert path.stat().st_size == item["size_bytes"]
            paths.append(path)
        return paths

    def close(self) -> None:
        for http in self.clients:
            http.close()


@contextlib.contextmanager
def running_gateway(sim: SimServer, data_dir: Path, **settings: Any) -> Iterator[Gateway]:
    """A gateway on SQLite in `data_dir` (API and engine) whose live providers call `sim`
    over loopback; `settings` override `gateway_settings` (a wrong key, other fallbacks)."""
    url = f"sqlite:///{data_dir}/mediagate.db"
    upgrade(parse_database_url(url))
    config = gateway_settings(sim, data_dir, url, **settings)
    server, thread, base_url = serve_app(create_app(config))

    async def make_keys() -> tuple[str, str]:
        db = Database(config.database)
        try:
            live = await accounts.create_key(db, account="providers")
            test = await accounts.create_key(db, account="providers", test=True)
            return live.secret, test.secret
        finally:
            await db.close()

    live_key, test_key = asyncio.run(make_keys())
    gw = Gateway(base_url, live_key, test_key, sim, data_dir)
    try:
        yield gw
    finally:
        gw.close()
        server.should_exit = True
        thread.join(15)


def run(coro: Any) -> Any:
    return asyncio.run(coro)
