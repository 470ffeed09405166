"""Benchmark: tasks per second through the whole lifecycle with an instant provider, on SQLite
and PostgreSQL, against Procrastinate and pgqueuer running no-op jobs on the same PostgreSQL;
and mediagate with 1, 2 and 4 `mediagate worker` processes on one PostgreSQL.

mediagate: N tasks are inserted due at once, then one engine (one process, `--slots`
concurrent steps) runs each through claim, submit, poll, measuring its output (a small PNG),
storing it in local storage and recording the result: two leased steps and a file per task.
Procrastinate: N no-op jobs deferred in a batch, then one worker (the same concurrency) runs them
until the queue is empty; pgqueuer the same (drain mode). The figures that matter are
mediagate's rate over Procrastinate's and over pgqueuer's (goal: at least 1.0).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_throughput.py [--tasks 3000] [--slots 64] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from common import fresh_postgres_database, machine, write_section
from mediagate.accounts import service as accounts
from mediagate.billing import service as billing
from mediagate.config import Settings
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.engine.runtime import Engine
from mediagate.engine.wakeup import Wakeup
from mediagate.providers.registry import build_providers
from mediagate.storage.factory import build_storage
from mediagate.tasks.statuses import FINAL

sys.path.insert(0, str(Path(__file__).parent))  # the plugin module


#: The instant model's price (one image), held per task on a prepaid account.
INSTANT_PRICE_MICROS = 10_000


async def seed(
    db: Database, n: int, provider: str = "instant", spread_s: float = 0.0, prepaid: bool = False
) -> None:
    """`n` pending tasks; the i-th is due `i * spread_s / n` seconds from now (all at once by
    default). `prepaid`: the account is granted credits for them all and each task holds its
    price (the hold trigger places the holds and their ledger entries, as for a create)."""
    key = await accounts.create_key(db, account=f"bench-{provider}")
    hold = INSTANT_PRICE_MICROS if prepaid else 0
    if prepaid:
        await billing.grant(db, f"bench-{provider}", n * hold, "benchmark")
    now = now_us()
    rows = [
        {
            "id": new_id("task"), "account_id": key.account_id, "key_id": key.key_id,
            "type": "image", "model": f"{provider}-image", "provider": provider,
            "status": "pending", "input": jsonutil.dumps({"prompt": f"p{i}"}),
            "metadata": "{}", "timeout_s": 3600, "created_at": at, "updated_at": at,
            "run_at": at, "deadline_at": at + 3600 * 10**6, "max_cost_micros": hold,
            "hold_micros": hold,
        }
        for i, at in ((i, now + int(i * spread_s * 1e6 / n)) for i in range(n))
    ]  # fmt: skip
    async with db.write() as conn:
        for start in range(0, n, 1000):
            await conn.execute(tasks.insert(), rows[start : start + 1000])


async def run_mediagate(url: str, n: int, slots: int, prepaid: bool = False) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=url, data_dir=Path(tmp), workers=slots,
            provider_plugins=["instant_provider:make"],
            provider_concurrency={"instant": slots},
        )  # fmt: skip
        await asyncio.to_thread(upgrade, settings.database)  # Alembic runs its own loop
        db = Database(settings.database)
        await db.open()
        try:
            await seed(db, n, prepaid=prepaid)
            storage = await build_storage(settings, db)
            providers = build_providers(settings)
            engine = Engine(settings, db, storage, providers, Wakeup())
            started = time.perf_counter()
            await engine.start()
            while True:
                async with db.read() as conn:
                    done = await conn.scalar(
                        select(func.count()).where(tasks.c.status.in_(list(FINAL)))
                    )
                if done >= n:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            await engine.stop()
            await providers.aclose()
            async with db.read() as conn:
                ok = await conn.scalar(select(func.count()).where(tasks.c.status == "succeeded"))
            assert ok == n, f"only {ok} of {n} succeeded"
            return n / elapsed
        finally:
            await db.close()


async def run_procrastinate(url: str, n: int, concurrency: int) -> float:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        await noop.batch_defer_async(*[{} for _ in range(n)])
        started = time.perf_counter()
        await app.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False
        )
        elapsed = time.perf_counter() - started
    return n / elapsed


async def run_pgqueuer(url: str, n: int, concurrency: int) -> float:
    import asyncpg
    from pgqueuer import QueueManager
    from pgqueuer.domain.types import QueueExecutionMode
    from pgqueuer.queries import Queries

    conn = await asyncpg.connect(url)
    try:
        queries = Queries.from_asyncpg_connection(conn)
        await queries.install()
        await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
        manager = QueueManager(queries)

        @manager.entrypoint("noop")
        async def noop(job: object) -> None:
            return None

        started = time.perf_counter()
        await manager.run(
            mode=QueueExecutionMode.drain,
            batch_size=max(1, concurrency // 2),
            max_concurrent_tasks=concurrency,
            dequeue_timeout=timedelta(seconds=1),
        )
        elapsed = time.perf_counter() - started
        assert await conn.fetchval("SELECT count(*) FROM pgqueuer") == 0
    finally:
        await conn.close()
    return n / elapsed


def run_mediagate_processes(url: str, n: int, slots: int, processes: int) -> float:
    """`processes` `mediagate worker` processes of `slots` each, on the tasks seeded in `url`."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, data_dir=Path(tmp))
        upgrade(settings.database)

        async def seeded() -> None:
            db = Database(settings.database)
            try:
                await seed(db, n)
            finally:
                await db.close()

        env = {
            **os.environ,
            "MEDIAGATE_DATABASE_URL": url,
            "MEDIAGATE_DATA_DIR": tmp,
            "MEDIAGATE_PROVIDER_PLUGINS": '["instant_provider:make"]',
            "MEDIAGATE_PROVIDER_CONCURRENCY": f'{{"instant": {slots}}}',
            "MEDIAGATE_LOG_LEVEL": "warning",
            "PYTHONPATH": str(Path(__file__).parent),
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "mediagate", "worker", "--workers", str(slots)], env=env
            )
            for _ in range(processes)
        ]

        async def ready() -> None:
            """Every worker process up (its heartbeat written): start-up is not measured."""
            db = Database(settings.database)
            try:
                while True:
                    async with db.read() as conn:
                        up = await conn.scalar(
                            text("SELECT count(*) FROM heartbeats WHERE name LIKE 'worker:%'")
                        )
                    if up >= processes:
                        return
                    await asyncio.sleep(0.1)
            finally:
                await db.close()

        async def finished() -> None:
            db = Database(settings.database)
            try:
                while True:
                    async with db.read() as conn:
                        done = await conn.scalar(
                            select(func.count()).where(tasks.c.status.in_(list(FINAL)))
                        )
                    if done >= n:
                        return
                    await asyncio.sleep(0.05)
            finally:
                await db.close()

        try:
            asyncio.run(ready())
            asyncio.run(seeded())
            started = time.perf_counter()  # the tasks are due from here on
            asyncio.run(finished())
            elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
        return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {
        "sqlite": [], "postgresql": [], "procrastinate": [], "pgqueuer": [],
        "workers-1": [], "workers-2": [], "workers-4": [],
    }  # fmt: skip
    for r in range(args.rounds):
        pg = fresh_postgres_database("mediagate_bench_tp")
        figures["procrastinate"].append(asyncio.run(run_procrastinate(
            fresh_postgres_database("mediagate_bench_proc"), args.tasks, args.slots)))  # fmt: skip
        figures["pgqueuer"].append(asyncio.run(run_pgqueuer(
            fresh_postgres_database("mediagate_bench_pgq"), args.tasks, args.slots)))  # fmt: skip
        for processes in (1, 2, 4):
            figures[f"workers-{processes}"].append(run_mediagate_processes(
                fresh_postgres_database(f"mediagate_bench_w{processes}"), args.tasks,
                args.slots // processes, processes,
            ))  # fmt: skip
        figures["postgresql"].append(asyncio.run(run_mediagate(pg, args.tasks, args.slots)))
        with tempfile.TemporaryDirectory() as tmp:
            figures["sqlite"].append(
                asyncio.run(run_mediagate(f"sqlite:///{tmp}/tp.db", args.tasks, args.slots))
            )
        print(f"round {r + 1}:", {k: round(v[-1]) for k, v in figures.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in figures.items()}
    base, fast = med["procrastinate"], med["pgqueuer"]
    lines = [
        "## Throughput: whole task lifecycle against Procrastinate and pgqueuer no-op jobs",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python bench/bench_throughput.py --tasks {args.tasks} "
        f"--slots {args.slots} --rounds {args.rounds}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Work: {args.tasks} tasks / jobs due at once; one process, {args.slots} concurrent "
        "steps / jobs. A mediagate task is two leased steps (submit, poll) plus measuring "
        "and storing its output file; a Procrastinate job is one no-op. Procrastinate "
        "and mediagate on PostgreSQL use the same server, fresh databases, rounds alternating.",
        "- The `worker` rows split the same slots among the processes (one PostgreSQL, the "
        "machine's two cores shared by them all).",
        "- Goal: mediagate at least 1.0 of Procrastinate's rate, and of pgqueuer's.",
        "",
        "| run | per second (median) | ratio to Procrastinate | ratio to pgqueuer | rounds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, label in (("procrastinate", "Procrastinate 3.10.0 (PostgreSQL)"),
                        ("pgqueuer", "pgqueuer 1.6.0 (PostgreSQL)"),
                        ("postgresql", "mediagate, PostgreSQL, engine in the process"),
                        ("sqlite", "mediagate, SQLite, engine in the process"),
                        ("workers-1", "mediagate, PostgreSQL, 1 `worker` process"),
                        ("workers-2", "mediagate, PostgreSQL, 2 `worker` processes"),
                        ("workers-4", "mediagate, PostgreSQL, 4 `worker` processes")):  # fmt: skip
        lines.append(
            f"| {label} | {med[name]:.0f} | {med[name] / base:.2f} | {med[name] / fast:.2f} | "
            f"{[round(v) for v in figures[name]]} |"
        )
    text = "\n".join(lines)
    print(text)
    write_section("throughput", text)


if __name__ == "__main__":
    main()
