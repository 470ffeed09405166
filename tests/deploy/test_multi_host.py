"""The deployment of docs/deployment.md, run: separate hosts (network namespaces on a private
subnet) for PostgreSQL, S3 (moto_server), the providers (`mediagate simulator`), two API hosts,
two worker hosts and a client. Tasks made through both API hosts run on workers of both worker
hosts, their results go to S3 and come back from presigned URLs; an event stream on one API
host follows tasks that workers elsewhere finish; sandbox tasks run on both worker hosts and
the providers that keep files between steps on one; a worker host killed mid-run loses nothing
and makes no second paid submit. Each mediagate host has a data directory of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from deployment_support import (
    CLIENT,
    LEASE_LOG_SQL,
    Deployment,
    deployment,
    postgres_bin,
    postgres_user_exists,
    wait_until,
)
from netns_support import NetnsUnavailable, namespaces_available

from mediagate.db.migrate import current_head

pytestmark = pytest.mark.slow

IMAGE, VIDEO = "kling-v2-1-image", "kling-v2-6"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if (reason := namespaces_available()) is not None:
        pytest.skip(reason)
    if postgres_bin() is None or not postgres_user_exists():
        pytest.fail("the multi-host test needs PostgreSQL's server binaries and its OS user")
    work = tmp_path_factory.mktemp("deploy")
    try:
        with deployment(work) as deploy:
            deploy.start_postgres()
            deploy.start_services()
            upgrades = deploy.upgrade_twice()
            for upgrade in upgrades:  # serialised by the advisory lock: both end at the head
                assert upgrade.returncode == 0, upgrade.stderr
                assert f"schema at {current_head()}" in upgrade.stderr
            assert deploy.psql("SELECT version_num FROM alembic_version") == [[current_head()]]
            deploy.psql(LEASE_LOG_SQL)
            deploy.make_keys()
            deploy.start_apis()
            deploy.start_workers()
            yield deploy
    except NetnsUnavailable as exc:
        pytest.skip(str(exc))


def _leases(deploy: Deployment, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """task id -> [(worker host address, lease token)] in the order the leases were taken."""
    quoted = ",".join(f"'{i}'" for i in ids)
    rows = deploy.psql(
        f"SELECT task_id, host(addr), owner FROM deploy_test_leases WHERE task_id IN ({quoted}) "
        "ORDER BY at"
    )
    out: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    for task_id, addr, owner in rows:
        out[task_id].append((addr, owner))
    return out


def test_tasks_through_both_api_hosts_run_on_both_worker_hosts(deployed: Deployment) -> None:
    deploy = deployed
    api1, api2 = deploy.apis
    # The client follows the account's events on API host 1 from before the first create.
    stream = subprocess.Popen(
        deploy.host("client").command(sys.executable, str(CLIENT), "stream"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    specs = []
    for i in range(8):
        video = i % 4 == 3
        specs.append(
            {
                "api": api1 if i % 2 == 0 else api2,
                "type": "video" if video else "image",
                "model": VIDEO if video else IMAGE,
                "prompt": f"multi-host task {i}",
                "input": {"mode": "std"} if video else {},
            }
        )
    assert stream.stdin is not None and stream.stdout is not None
    stream.stdin.write(
        f'{{"api": "{api1}", "key": "{deploy.key}", "types": "task.succeeded,task.failed", '
        f'"count": {len(specs)}, "timeout": 90}}'
    )
    stream.stdin.close()
    assert stream.stdout.readline().strip() == "open", stream.stderr.read() if stream.stderr else ""

    made = deploy.client("create", {"key": deploy.key, "tasks": specs})
    ids = [task["id"] for task in made]
    tasks = deploy.client("wait", {"key": deploy.key, "apis": deploy.apis, "ids": ids})

    assert [t["status"] for t in tasks] == ["succeeded"] * len(ids), (tasks, deploy.tail())
    # Workers of both hosts took these tasks' steps; API hosts took none (they run no workers).
    leases = _leases(deploy, ids)
    hosts = {addr for steps in leases.values() for addr, _ in steps}
    assert hosts == {deploy.host("w1").address, deploy.host("w2").address}, leases
    for api in (api1, api2):
        assert any(t["api"] == api for t in made)

    # Results are in the bucket, downloaded from its presigned URLs and decoded.
    files = deploy.client("download", {"tasks": tasks})
    assert len(files) == len(ids)
    for entry in files:
        assert entry["url_host"] == deploy.host("s3").address, entry
        assert entry["status"] == 200 and entry["size_ok"], entry
        assert entry["thumbnail"] and entry["thumbnail"]["kind"] == "image", entry
    kinds = sorted(entry["decoded"]["kind"] for entry in files)
    assert kinds == ["image"] * 6 + ["video"] * 2
    assert all(e["decoded"]["frames"] > 0 for e in files if e["decoded"]["kind"] == "video")

    # The stream on API host 1 got the final event of every task, those made through API host
    # 2 included, though workers on other hosts finished them.
    out = stream.stdout.read()
    assert stream.wait(120) == 0, stream.stderr.read() if stream.stderr else ""
    events = json.loads(out.strip().splitlines()[-1])
    assert sorted(e["task_id"] for e in events) == sorted(ids), events
    assert {e["event"] for e in events} == {"task.succeeded"}


def test_sandbox_and_file_keeping_models_across_hosts(deployed: Deployment) -> None:
    """Sandbox tasks run on both worker hosts (the sandbox is on the simulator host, not in
    each worker's data directory); models whose provider keeps files between steps (Gemini's
    inline images, the local renderer) succeed with worker host 2 leaving them to host 1."""
    deploy = deployed
    api1, api2 = deploy.apis
    w1, w2 = deploy.host("w1").address, deploy.host("w2").address
    sandbox = [
        {"api": api1 if i % 2 else api2, "type": "image", "model": IMAGE, "prompt": f"sandbox {i}"}
        for i in range(8)
    ]
    kept = [
        {"api": api1 if i % 2 else api2, "type": "image", "model": model, "prompt": f"{model} {i}"}
        for model in ("gemini-2.5-flash-image", "local-image")
        for i in range(4)
    ]
    sandbox_ids = [
        t["id"] for t in deploy.client("create", {"key": deploy.test_key, "tasks": sandbox})
    ]
    kept_ids = [t["id"] for t in deploy.client("create", {"key": deploy.key, "tasks": kept})]

    tasks = deploy.client("wait", {"key": deploy.test_key, "apis": deploy.apis, "ids": sandbox_ids})
    assert [t["status"] for t in tasks] == ["succeeded"] * len(sandbox_ids), tasks
    leases = _leases(deploy, sandbox_ids)
    assert {addr for steps in leases.values() for addr, _ in steps} == {w1, w2}, leases

    tasks = deploy.client("wait", {"key": deploy.key, "apis": deploy.apis, "ids": kept_ids})
    assert [t["status"] for t in tasks] == ["succeeded"] * len(kept_ids), tasks
    leases = _leases(deploy, kept_ids)
    assert {addr for steps in leases.values() for addr, _ in steps} == {w1}, leases
    files = deploy.client("download", {"tasks": tasks})
    assert [f["decoded"]["kind"] for f in files] == ["image"] * len(kept_ids), files


def test_a_worker_host_killed_mid_run_loses_nothing(deployed: Deployment) -> None:
    deploy = deployed
    api1, api2 = deploy.apis
    w1, w2 = deploy.host("w1").address, deploy.host("w2").address
    # Four submits whose answer never comes (the provider made the job, the answer is lost)
    # fill both worker hosts' two slots for the provider timeout, then eight plain tasks.
    specs = [
        {
            "api": api1 if i % 2 else api2,
            "type": "image",
            "model": IMAGE,
            "prompt": f"kill test {i}" + (" [sim:hang_submit]" if i < 4 else ""),
        }
        for i in range(12)
    ]
    made = deploy.client("create", {"key": deploy.key, "tasks": specs})
    ids = [task["id"] for task in made]
    quoted = ",".join(f"'{i}'" for i in ids)

    # Wait until worker host 2 is in the middle of a submit, then kill everything on it.
    def held_by_w2() -> list[list[str]]:
        return deploy.psql(
            f"SELECT t.id FROM tasks t JOIN deploy_test_leases l ON l.owner = t.lease_owner "
            f"AND l.task_id = t.id WHERE t.id IN ({quoted}) AND host(l.addr) = '{w2}' "
            "AND t.submit_started_at IS NOT NULL AND t.provider_job_id IS NULL"
        )

    interrupted = [row[0] for row in wait_until(held_by_w2, 30, "worker host 2 mid-submit")]
    killed_at = deploy.psql("SELECT clock_timestamp()")[0][0]
    assert deploy.kill_host("w2"), "nothing ran on worker host 2"

    tasks = deploy.client(
        "wait", {"key": deploy.key, "apis": deploy.apis, "ids": ids, "timeout": 120}
    )
    assert [t["status"] for t in tasks] == ["succeeded"] * len(ids), (tasks, deploy.tail())

    # The tasks worker host 2 was submitting were taken over by worker host 1 ...
    leases = _leases(deploy, ids)
    for task_id in interrupted:
        later = deploy.psql(
            f"SELECT host(addr) FROM deploy_test_leases WHERE task_id = '{task_id}' "
            f"AND at > '{killed_at}'"
        )
        assert later and {row[0] for row in later} == {w1}, leases[task_id]
    # ... and no prompt was submitted (paid for) twice: the rescue found the job the lost
    # answer had made, by its client reference.
    prompts = [spec["prompt"] for spec in specs]
    submits = deploy.client("submits", {"sim": deploy.url("sim", 8900), "prompts": prompts})
    assert submits == dict.fromkeys(prompts, 1), submits
    files = deploy.client("download", {"tasks": tasks})
    assert all(f["status"] == 200 and f["decoded"]["kind"] == "image" for f in files), files
