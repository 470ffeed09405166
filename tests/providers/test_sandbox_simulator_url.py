"""`MEDIAGATE_SANDBOX_SIMULATOR_URL`: the sandbox on a `mediagate simulator` that every worker
reaches, instead of a simulator in each process whose jobs only that data directory holds (the
need that made worker hosts share one: see docs/deployment.md)."""

from __future__ import annotations

import secrets
from pathlib import Path

from remote_support import SimServer, running_gateway


def test_the_sandbox_runs_on_the_configured_simulator(
    sim_server: SimServer, tmp_path: Path
) -> None:
    prompt = f"a sandbox task on a shared simulator {secrets.token_hex(4)}"
    with running_gateway(sim_server, tmp_path, sandbox_simulator_url=sim_server.url + "/") as gw:
        task = gw.create("kling-v2-1-image", "image", prompt, sandbox=True)
        done = gw.wait(task["id"], sandbox=True)
        assert done["status"] == "succeeded", done
        assert task["cost"] == 0
        [path] = gw.download(done, tmp_path)
        assert path.read_bytes()[:4] == b"\x89PNG"
    # The job was made on the configured simulator (with the simulator's credentials), and
    # no in-process simulator kept anything in the data directory.
    assert sim_server.sim.count("kling", "submit", prompt) == 1
    assert not (tmp_path / "simulator" / "jobs").exists()
