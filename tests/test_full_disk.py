"""Full disks, made real: small tmpfs file systems filled to the last byte (mounting needs
root, as tests run here and in CI).

- The result store full: the task fails with `RESULT_UNAVAILABLE` saying the storage is full
  (not an INTERNAL_ERROR "OSError"), `/readyz` answers 503 naming `storage`, the gauge says 0.
- The database's disk full: `/readyz` answers 503 naming `database`, and the workers' claim
  loop, failing every second, logs that once, not once a second.
Once space is freed, the gateway is ready again by itself.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import image_body, serve_app, wait_for
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        """Write until the file system refuses a byte more."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (65536, 4096, 512, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == 28, exc  # ENOSPC
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        message = "mounting a small tmpfs needs root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    path = Path(tempfile.mkdtemp(prefix="mediagate-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)], check=True)
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
        path.rmdir()


def ready_gauges(http: httpx.Client) -> dict[str, float]:
    text = http.get("/metrics").text
    gauges = {}
    for line in text.splitlines():
        if line.startswith("mediagate_ready{"):
            labels, value = line.rsplit(" ", 1)
            gauges[labels.split('"')[1]] = float(value)
    return gauges


def wait_ready(http: httpx.Client, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while (r := http.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return r


def test_a_full_result_store_fails_the_task_saying_so_and_readyz_tells(
    small_disk: SmallDisk, tmp_path: Path, loop_thread: Any
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/mediagate.db",
        data_dir=tmp_path,
        files_dir=small_disk.path / "files",
        workers=2,
        idle_poll_seconds=0.2,
        max_attempts=2,
    )
    upgrade(settings.database)
    db = Database(settings.database)
    key = loop_thread.run(accounts.create_key(db, account="full-store")).secret
    loop_thread.run(db.engine.dispose())
    server, thread, base = serve_app(create_app(settings))
    try:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            ready = wait_ready(http)
            assert ready.status_code == 200, ready.text
            assert ready.json()["data"]["checks"] == {
                "database": "ok",
                "storage": "ok",
                "workers": "ok",
            }
            small_disk.fill()

            task = http.post("/api/v1/tasks", json=image_body("no room for me")).json()["data"]
            final = wait_for(http, task["id"], timeout=60)
            assert final["status"] == "failed"
            assert final["error"]["code"] == "RESULT_UNAVAILABLE"
            assert "storage is full" in final["error"]["message"]
            assert "OSError" not in final["error"]["message"]

            not_ready = http.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.headers["retry-after"].isdigit()
            message = not_ready.json()["error"]["message"]
            assert message.startswith("not ready: storage: ")
            assert "No space left on device" in message
            assert str(small_disk.path) not in message  # no file paths to anyone who asks
            assert "database" not in message and "workers" not in message
            assert ready_gauges(http) == {"database": 1.0, "storage": 0.0, "workers": 1.0}

            small_disk.free()
            assert wait_ready(http).status_code == 200
            assert ready_gauges(http) == {"database": 1.0, "storage": 1.0, "workers": 1.0}
            again = http.post("/api/v1/tasks", json=image_body("room again")).json()["data"]
            assert wait_for(http, again["id"], timeout=60)["status"] == "succeeded"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_full_database_disk_is_not_ready_and_logged_once(
    small_disk: SmallDisk, tmp_path: Path, loop_thread: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{small_disk.path}/mediagate.db"
    api_only = Settings(database_url=url, data_dir=tmp_path, workers=0)
    upgrade(api_only.database)
    db = Database(api_only.database)
    key = loop_thread.run(accounts.create_key(db, account="full-db")).secret
    loop_thread.run(db.engine.dispose())
    auth = {"Authorization": f"Bearer {key}"}

    # A task waits in the queue (no worker yet); then the database's disk fills up. The API
    # process stays up (its open connections keep SQLite's shared-memory file: a process
    # started on a full disk could not even open the database).
    api, api_thread, api_base = serve_app(create_app(api_only))
    server = thread = None
    try:
        created = httpx.post(f"{api_base}/api/v1/tasks", json=image_body("stuck"), headers=auth)
        assert created.status_code == 202
        task = created.json()["data"]["id"]
        small_disk.fill()

        caplog.set_level(logging.INFO, logger="mediagate")
        settings = Settings(database_url=url, data_dir=tmp_path, workers=2, idle_poll_seconds=0.2)
        server, thread, base = serve_app(create_app(settings))
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            not_ready = http.get("/readyz")
            assert not_ready.status_code == 503, not_ready.text
            message = not_ready.json()["error"]["message"]
            assert message.startswith("not ready: database: "), message
            assert "database or disk is full" in message
            assert ready_gauges(http)["database"] == 0.0
            # The worker's claims fail every second or so: said once, not every time.
            time.sleep(4)
            claims = [r for r in caplog.records if "claiming step jobs" in r.getMessage()]
            assert len(claims) == 1, [r.getMessage() for r in claims]
            assert "database or disk is full" in str(claims[0].exc_info[1])
            said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("not ")]
            checks = [":".join(line.split(":")[:2]) for line in said]  # two probes: readyz, metrics
            assert sorted(checks) == ["not ready: database", "not ready: workers"], said
            assert http.get(f"/api/v1/tasks/{task}").json()["data"]["status"] == "pending"

            small_disk.free()
            assert wait_ready(http).status_code == 200
            assert wait_for(http, task, timeout=60)["status"] == "succeeded"
            assert any("works again" in r.getMessage() for r in caplog.records)
    finally:
        for running, running_thread in ((server, thread), (api, api_thread)):
            if running is not None and running_thread is not None:
                running.should_exit = True
                running_thread.join(10)
