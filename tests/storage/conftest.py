"""Fixtures of the storage tests: a moto S3 server run as a real process on loopback."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO

import httpx
import pytest
from storage_support import free_port

# moto's server, exiting when its standard input closes: if pytest dies without tearing down,
# the server goes with it instead of lingering.
_MOTO = (
    "import os, sys, threading\n"
    "threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()\n"
    "from moto.server import main\n"
    "main(sys.argv[1:])\n"
)


def _wait_until_up(url: str, proc: subprocess.Popen, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/moto-api/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"moto_server did not start: {log.read().decode(errors='replace')}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server, run as its own process on a loopback port; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _MOTO, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(url, proc, log)
            yield url
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
