"""Fault injection (issue 16): an API and two workers, as in production, run about a hundred
mixed tasks (local renders, remote models on the sandbox and on `mediagate simulator`) while
workers and the API are killed with SIGKILL and restarted, and, on a PostgreSQL server of the
test's own, while that server is restarted. Afterwards every task is final, none moved
backwards, no paid provider got a second submit, only successes cost, every result decodes
and the credits ledger adds up."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fault_support import Run, check_run, fault_gateway, own_postgres

pytestmark = pytest.mark.slow


def _storm(run: Run, rounds: int, per_round: int, restart_postgres=None) -> None:
    """Rounds of new tasks, then a worker killed (and another started), the API killed every
    other round, and PostgreSQL restarted in the middle round when asked."""
    for round_ in range(rounds):
        if round_ % 2 == 1:
            run.gateway.start_api()  # its successor comes up while the round's tasks start
        run.create(per_round)
        run.rng_sleep()
        run.gateway.kill_worker(round_)
        if round_ % 2 == 1:
            run.gateway.kill_api()
        if restart_postgres is not None and round_ == rounds // 2:
            restart_postgres()


def test_kill_storm(empty_database: str, tmp_path: Path) -> None:
    """100 tasks in 5 rounds; 5 workers and 2 API processes killed mid-flight."""
    with fault_gateway(empty_database, tmp_path) as gateway:
        run = Run(gateway, random.Random(16))
        with run.sampling():
            _storm(run, rounds=5, per_round=20)
            finals = run.wait_all(timeout=120)
        check_run(run, finals, tmp_path)


def test_postgres_restart(tmp_path: Path) -> None:
    """60 tasks in 3 rounds on a PostgreSQL server of the test's own, stopped (fast: every
    connection cut) and started again 2 s later in the middle round, besides the kills."""
    with own_postgres() as server, fault_gateway(server.url, tmp_path) as gateway:
        run = Run(gateway, random.Random(5))
        with run.sampling():
            _storm(run, rounds=3, per_round=20, restart_postgres=lambda: server.restart(2.0))
            finals = run.wait_all(timeout=120)
        check_run(run, finals, tmp_path)
