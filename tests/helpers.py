"""Test helpers: building tasks quickly and checking the contract's shapes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import av
import uvicorn
from PIL import Image

from mediagate.config import Settings
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.media import probe
from mediagate.tasks import repository

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TASK_ID = re.compile(r"task_[A-Za-z0-9_-]{20,}")


def image_body(prompt: str = "a red fox", **extra: Any) -> dict[str, Any]:
    return {"type": "image", "model": "local-image", "input": {"prompt": prompt}, **extra}


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False, body
    assert set(body) == {"success", "error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    return body["error"]


_RESULT = jsonutil.dumps(
    [{"key": "acct/task/0.png", "format": "png", "content_type": "image/png", "size_bytes": 10}]
)


async def insert_tasks(
    db: Any,
    account_id: str,
    count: int,
    *,
    created_at: int | None = None,
    step_us: int = 0,
    status: str = "pending",
    model: str = "local-image",
    task_type: str = "image",
    provider: str = "local",
    sandbox: bool = False,
) -> list[str]:
    """Insert `count` tasks straight into the store; with `step_us=0` they share created_at."""
    base = created_at if created_at is not None else now_us()
    ids = []
    async with db.write() as conn:
        for i in range(count):
            task_id = new_id("task")
            ts = base + i * step_us
            await repository.insert(
                conn,
                {
                    "id": task_id,
                    "account_id": account_id,
                    "key_id": "key_test",
                    "sandbox": int(sandbox),
                    "type": task_type,
                    "model": model,
                    "provider": provider,
                    "status": status,
                    "input": jsonutil.dumps({"prompt": f"p{i}"}),
                    "metadata": jsonutil.dumps({"i": i}),
                    "timeout_s": 300,
                    "created_at": ts,
                    "updated_at": ts,
                    "completed_at": ts if status in ("succeeded", "failed", "cancelled") else None,
                    "result": _RESULT if status == "succeeded" else None,
                    "error_code": "PROVIDER_ERROR" if status == "failed" else None,
                    "error_message": "the provider failed" if status == "failed" else None,
                },
            )
            ids.append(task_id)
    return ids


def cli_env(**settings: str) -> dict[str, str]:
    """The environment for a `mediagate` subprocess: ours without MEDIAGATE_*, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAGATE_")}
    env.update({f"MEDIAGATE_{k.upper()}": v for k, v in settings.items()})
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the installed `mediagate` command (as a user would) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "mediagate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """A non-zero exit with a short message on stderr, and never a traceback."""
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


FINAL = {"succeeded", "failed", "cancelled", "expired"}


def wait_for(http: Any, task_id: str, until: set[str] = FINAL, timeout: float = 30) -> dict:
    """Poll GET /api/v1/tasks/{id} until its status is in `until`; returns the task object,
    with `seen` (every status observed, in order) added."""
    import time

    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
        if not seen or seen[-1] != task["status"]:
            seen.append(task["status"])
        if task["status"] in until:
            task["seen"] = seen
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {task['status']} after {timeout}s: {seen}")
        time.sleep(0.02)


def serve_app(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Serve `app` with uvicorn in a thread on a free loopback port: (server, thread, URL)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        threading.Event().wait(0.01)
    return server, thread, f"http://127.0.0.1:{port}"


def engine_settings(url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        workers=8,
        lease_seconds=2,
        idle_poll_seconds=0.5,
        max_attempts=3,
        provider_plugins=["scripted_provider:make"],
        sse_heartbeat_seconds=0.5,
        **extra,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(
    env: dict[str, str], *args: str, log: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """`mediagate serve` in a subprocess on a free port, once /healthz answers: (process, URL).
    Its output is kept to explain a failed start (appended to `log` when given: a server that
    logs a lot never fills a pipe nobody reads)."""
    import time

    import httpx

    port = free_port()
    output = open(log, "a") if log is not None else subprocess.PIPE  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "serve", "--port", str(port), *args],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if log is not None:
        output.close()  # the child has its own copy
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            said = log.read_text() if log is not None else proc.communicate()[0]
            raise AssertionError(f"serve did not come up:\n{said}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def check_file(path: Path, task_type: str) -> None:
    """The downloaded file decodes as what the task type promises."""
    info = probe(path)
    if task_type == "image":
        with Image.open(path) as image:
            image.load()
            assert image.size == (info.width, info.height)
    elif task_type == "video":
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames > 0 and info.duration and info.duration > 0.5
    elif task_type in ("audio", "music"):
        assert info.duration and info.duration > 0.5
    else:
        assert path.read_bytes()[:4] == b"glTF"
