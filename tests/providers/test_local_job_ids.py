"""Job ids the provider never issued, and housekeeping of old job directories."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from local_support import SyncLocal

from mediagate.providers import JobNotFound, JobState
from mediagate.providers.local.housekeeping import sweep

HOSTILE = [
    "",
    ".",
    "..",
    "../../etc/passwd",
    "lj_../../../tmp",
    "lj_" + "0" * 31 + "/",
    "lj_" + "0" * 32 + "/../x",
    "lj_" + "G" * 32,
    "lj_" + "0" * 33,
    "/tmp",
    "lj_" + "0" * 32 + "\n",
    "lj_" + "0" * 32 + "\x00",
    "x" * 10_000,
    "state.json",
]


@pytest.mark.parametrize("job_id", HOSTILE)
def test_hostile_ids_are_not_found(
    make_local: Callable[..., SyncLocal], tmp_path: Path, job_id: str
) -> None:
    local = make_local()
    real = local.submit("local-3d", prompt="p")  # a real job exists alongside
    assert local.wait(real).state is JobState.SUCCEEDED
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for call in (local.poll, local.cancel, local.cleanup):
        with pytest.raises(JobNotFound):
            call(job_id)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_unknown_id_is_not_found(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    for call in (local.poll, local.cancel):
        with pytest.raises(JobNotFound):
            call("lj_" + "a" * 32)
    local.cleanup("lj_" + "a" * 32)  # nothing to remove: fine


def test_unreadable_state_is_not_found(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    job_id = local.submit("local-3d", prompt="p")
    assert local.wait(job_id).state is JobState.SUCCEEDED
    state = local.jobs_dir / job_id / "state.json"
    junks = [
        b"",
        b"{not json",
        b"[]",
        json.dumps({"model": "m", "state": "weird"}).encode(),
        json.dumps({"model": "m", "state": "running", "heartbeat": "now"}).encode(),
        json.dumps({"model": "m", "state": "running", "heartbeat": 1e18, "progress": "x"}).encode(),
    ]
    for junk in junks:
        state.write_bytes(junk)
        with pytest.raises(JobNotFound):
            local.poll(job_id)
    # A record naming an output outside its directory is not followed.
    record = {"model": "local-3d", "state": "succeeded", "output": "../../x", "heartbeat": 0}
    state.write_text(json.dumps(record))
    with pytest.raises(JobNotFound):
        local.poll(job_id)


def test_sweep_removes_only_old_job_directories(make_local: Callable[..., SyncLocal]) -> None:
    local = make_local()
    fresh = local.submit("local-3d", prompt="fresh")
    old = local.submit("local-3d", prompt="old")
    for job_id in (fresh, old):
        assert local.wait(job_id).state is JobState.SUCCEEDED
    state = local.jobs_dir / old / "state.json"
    record = json.loads(state.read_bytes())
    record["heartbeat"] = time.time() - 7200
    state.write_text(json.dumps(record))
    stray = local.jobs_dir / ("lj_" + "1" * 32)  # no state file: judged by its mtime
    stray.mkdir()
    os.utime(stray, (time.time() - 7200, time.time() - 7200))
    other = local.jobs_dir / "not-a-job"
    other.mkdir()
    os.utime(other, (time.time() - 7200, time.time() - 7200))

    assert sweep(local.jobs_dir, retention_s=3600) == 2
    assert sorted(p.name for p in local.jobs_dir.iterdir()) == sorted([fresh, "not-a-job"])
    assert sweep(local.jobs_dir / "missing", retention_s=1) == 0


def test_provider_sweeps_old_directories_when_it_starts_work(
    jobs_dir: Path, make_local: Callable[..., SyncLocal]
) -> None:
    old = jobs_dir / ("lj_" + "2" * 32)
    old.mkdir(parents=True)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    local = make_local(retention_s=3600)
    assert old.exists()  # nothing runs before the first job
    local.wait(local.submit("local-3d", prompt="p"))
    deadline = time.monotonic() + 2
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not old.exists()
