"""`mediagate simulator --port P` as a user runs it: a real process serving the provider APIs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers import cli_env, free_port


def test_the_simulator_command_serves_provider_apis(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "simulator", "--port", str(port),
         "--state-dir", str(tmp_path), "--queue-seconds", "0", "--run-seconds", "0.2"],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_sim/requests", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.1)
        auth = {"Authorization": "Bearer sim-vidgo-key"}
        body = {"model": "gpt-image-2", "input": {"prompt": "a fox"}}
        refused = httpx.post(f"{base}/api/generate/submit", json=body,
                             headers={"Authorization": "Bearer wrong"})  # fmt: skip
        assert refused.status_code == 401
        created = httpx.post(f"{base}/api/generate/submit", json=body, headers=auth)
        assert created.status_code == 200, created.text
        task_id = created.json()["data"]["task_id"]
        while True:
            status = httpx.get(f"{base}/api/generate/status/{task_id}", headers=auth).json()
            if status["data"]["status"] == "finished":
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        [file] = status["data"]["files"]
        image = httpx.get(file["file_url"])
        assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert "sim-vidgo-key" in output  # it prints the credentials it accepts
