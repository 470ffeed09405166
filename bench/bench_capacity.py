"""Benchmark: 10,000 tasks in flight at once on a provider whose jobs take 60 s (PostgreSQL).

One `mediagate worker` process runs them all; the benchmark inserts the tasks, then watches the
database until every task is final, sampling the worker's CPU time and resident memory from
/proc. The lag of a task is the time between its provider job finishing (start + 60 s, the start
being carried in the job id) and the task showing `succeeded`. Two arrival patterns, each on a
fresh database:

- burst: every task due at the same instant. The worker submits them as fast as it can, so they
  all finish within those few seconds, and it must record that burst of finished jobs;
- steady: the tasks come due evenly over 50 s, so all 10,000 are in flight together for the
  ten seconds before the first ones finish, and they finish as they came.

Goals: all succeed, p95 lag under 2 s, the worker under one core and 300 MB.

    .venv/bin/python bench/bench_capacity.py [--tasks 10000] [--slots 64] [--spreads 0,50]
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
from pathlib import Path

from sqlalchemy import func, select

from bench_throughput import seed
from common import ROOT, fresh_postgres_database, machine, write_section
from instant_provider import started_at
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url
from mediagate.tasks.statuses import FINAL

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def watch(url: str, n: int, pid: int) -> dict:
    db = Database(parse_database_url(url))
    samples: list[tuple[float, float, float]] = []  # (wall, cpu, rss)
    started = time.monotonic()
    try:
        while True:
            samples.append((time.monotonic(), _cpu_s(pid), _rss_mb(pid)))
            async with db.read() as conn:
                done = await conn.scalar(
                    select(func.count()).where(tasks.c.status.in_(list(FINAL)))
                )
            if done >= n:
                break
            if time.monotonic() - started > 900:
                raise SystemExit(f"only {done} of {n} tasks final after 15 minutes")
            await asyncio.sleep(1.0)
        async with db.read() as conn:
            rows = (await conn.execute(
                select(tasks.c.status, tasks.c.provider_job_id, tasks.c.completed_at)
            )).all()  # fmt: skip
    finally:
        await db.close()
    lags = [r.completed_at / 1e6 - (started_at(r.provider_job_id) + 60) for r in rows
            if r.status == "succeeded"]  # fmt: skip
    windows = [
        (c2 - c1) / (w2 - w1)
        for (w1, c1, _), (w2, c2, _) in zip(samples, samples[5:], strict=False)
    ]
    done = [r for r in rows if r.status == "succeeded"]
    finished = [started_at(r.provider_job_id) + 60 for r in done]
    completed = [r.completed_at / 1e6 for r in done]
    return {
        "in_flight_max": _most_at_once(
            [(started_at(r.provider_job_id), r.completed_at / 1e6) for r in done]
        ),
        "burst_s": max(finished) - min(finished),
        "done_per_s": len(completed) / max(max(completed) - min(completed), 1e-3),
        "succeeded": len(done),
        "wall": samples[-1][0] - samples[0][0],
        "lag_p50": statistics.median(lags),
        "lag_p95": statistics.quantiles(lags, n=20)[18],
        "lag_max": max(lags),
        "cpu_avg": (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0]),
        "cpu_peak": max(windows) if windows else 0.0,
        "rss_max": max(s[2] for s in samples),
    }


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most spans (provider job start, task succeeded) open at one instant."""
    events = sorted([(start, 1) for start, _end in spans] + [(end, -1) for _start, end in spans])
    most = open_now = 0
    for _at, step in events:
        open_now += step
        most = max(most, open_now)
    return most


def run(args: argparse.Namespace, spread_s: float) -> dict:
    url = fresh_postgres_database("mediagate_bench_capacity")
    upgrade(parse_database_url(url))
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "MEDIAGATE_DATABASE_URL": url,
            "MEDIAGATE_DATA_DIR": tmp,
            "MEDIAGATE_PROVIDER_PLUGINS": '["instant_provider:make_sixty"]',
            "MEDIAGATE_PROVIDER_CONCURRENCY": f'{{"sixty": {args.slots}}}',
            "PYTHONPATH": str(ROOT / "bench"),
        }

        async def seed_sixty() -> None:
            db = Database(parse_database_url(url))
            try:
                await seed(db, args.tasks, provider="sixty", spread_s=spread_s)
            finally:
                await db.close()

        asyncio.run(seed_sixty())
        worker = subprocess.Popen(
            [sys.executable, "-m", "mediagate", "worker", "--workers", str(args.slots)], env=env
        )
        try:
            return asyncio.run(watch(url, args.tasks, worker.pid))
        finally:
            worker.terminate()
            worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument(
        "--spreads", default="0,50", help="seconds over which the tasks come due, one run each"
    )
    args = parser.parse_args()
    spreads = [float(v) for v in args.spreads.split(",")]
    results = [(spread, run(args, spread)) for spread in spreads]
    lines = [
        f"## Capacity: {args.tasks:,} tasks in flight on 60-second jobs (PostgreSQL)",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python bench/bench_capacity.py --tasks {args.tasks} "
        f"--slots {args.slots} --spreads {args.spreads}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Work: {args.tasks:,} tasks, one `mediagate worker` process with {args.slots} slots; "
        "each provider job runs 60 s and reports an ETA. Lag: provider finish to `succeeded` in "
        "the database. CPU and memory of the worker from /proc, 1 s samples; peak CPU over 5 s "
        "windows. `in flight max`: the most tasks between provider start and `succeeded` at one "
        "instant.",
        "- Arrivals: `spread 0 s` is a burst, every task due at the same instant: the worker "
        "submits them as fast as it can, so they also finish within those seconds (`finish "
        "burst s`) and it must record them at that rate (`done per s`: fetch the status, "
        "measure and store the file, write the result). `spread 50 s`: the tasks come due "
        "evenly over 50 s, so all are in flight together for the ten seconds before the first "
        "ones finish, and they finish as they came.",
        "- Goals: all succeed, p95 lag under 2 s, worker under one core and 300 MB.",
        "",
        "| arrivals | succeeded | in flight max | wall s | finish burst s | done per s "
        "| lag p50 s | lag p95 s | lag max s | worker CPU avg (cores) | CPU peak 5 s "
        "| worker RSS max MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for spread, r in results:
        lines.append(
            f"| spread {spread:g} s | {r['succeeded']:,} / {args.tasks:,} | "
            f"{r['in_flight_max']:,} | {r['wall']:.0f} | {r['burst_s']:.1f} | "
            f"{r['done_per_s']:.0f} | {r['lag_p50']:.2f} | {r['lag_p95']:.2f} | "
            f"{r['lag_max']:.2f} | {r['cpu_avg']:.2f} | {r['cpu_peak']:.2f} | "
            f"{r['rss_max']:.0f} |"
        )
    text = "\n".join(lines)
    print(text)
    write_section("capacity", text)


if __name__ == "__main__":
    main()
