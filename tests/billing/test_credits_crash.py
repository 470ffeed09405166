"""Money under crashes: worker processes killed (SIGKILL) after the provider finished and before
the gateway wrote the success, and in a storm; every task still ends with exactly one charge or
release, and the ledger recomputes to the balances."""

from __future__ import annotations

import random
import signal
import time

import pytest
from billing_support import SCRIPTED_PRICE, check_ledger, ledger_of, on_db
from sqlalchemy import text

from helpers import run_cli, wait_for
from process_support import create_scripted

pytestmark = pytest.mark.slow


def _prepaid(cluster, amount: str) -> str:
    """Grant the cluster's account credits; its id."""
    proc = run_cli("accounts", "grant", "crash", amount, env=cluster.env)
    assert proc.returncode == 0, proc.stderr

    async def account_id(db):
        async with db.read() as conn:
            return (
                await conn.execute(text("SELECT id FROM accounts WHERE name = 'crash'"))
            ).scalar_one()

    return on_db(cluster.env["MEDIAGATE_DATABASE_URL"], account_id)


def test_a_worker_killed_between_the_providers_success_and_the_charge(cluster):
    account_id = _prepaid(cluster, "1")
    first = cluster.start_worker()
    with cluster.http() as http:
        task_id = create_scripted(http, "run:0.1 hang_result:30")
        deadline = time.monotonic() + 20
        while not any(c["call"] == "result" for c in cluster.calls(task_id)):
            assert time.monotonic() < deadline, "the provider never finished"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # the job is done at the provider; nothing written
        first.wait(5)
        assert http.get("/api/v1/account").json()["data"]["held"] == 0.25
        cluster.start_worker()
        task = wait_for(http, task_id, timeout=30)
        assert task["status"] == "succeeded" and task["cost"] == 0.25
        assert http.get("/api/v1/account").json()["data"]["balance"] == 0.75
    url = cluster.env["MEDIAGATE_DATABASE_URL"]
    assert [t for t, *_ in ledger_of(url, account_id)] == ["grant", "hold", "charge"]
    check_ledger(url, account_id)


def test_a_kill_storm_settles_every_task_exactly_once(cluster):
    """Workers killed at random while 30 tasks of every outcome run and cancels arrive."""
    account_id = _prepaid(cluster, "100")
    rng = random.Random(7)
    prompts = ["run:0.3", "queue:0.2 run:0.5", "badinput", "banned queue:0 run:0.2",
               "flaky:1 run:0.2", "run:0.2 hang_result:0.5"]  # fmt: skip
    cluster.start_worker()
    cluster.start_worker()
    with cluster.http() as http:
        ids = [create_scripted(http, f"{rng.choice(prompts)} n{i}") for i in range(30)]
        for round_ in range(6):
            time.sleep(rng.uniform(0.2, 0.6))
            victim = cluster.workers[-1 - round_ % 2]
            victim.send_signal(signal.SIGKILL)
            victim.wait(5)
            cluster.start_worker()
            if round_ == 2:
                for task_id in rng.sample(ids, 5):
                    http.post(f"/api/v1/tasks/{task_id}/cancel")
        finals = [wait_for(http, t, timeout=90)["status"] for t in ids]
    url = cluster.env["MEDIAGATE_DATABASE_URL"]
    figures = check_ledger(url, account_id)
    assert figures["held"] == 0
    assert figures["charges"] == finals.count("succeeded") * SCRIPTED_PRICE
    assert "succeeded" in finals and "failed" in finals
