"""Benchmark: `GET /api/v1/tasks/{id}` against a bare Starlette endpoint answering the same bytes.

Both run in one uvicorn process each (uvloop, httptools), loaded by the same wrk in alternating
rounds, on SQLite and on PostgreSQL. The figure that matters is the ratio of requests per second
(goal: at least 0.5) and mediagate's p99 at 32 connections (goal: under 20 ms).

    .venv/bin/python bench/bench_get_task.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from common import (
    WrkResult,
    fresh_postgres_database,
    machine,
    require_wrk,
    uvicorn_server,
    write_section,
    wrk,
)
from mediagate.accounts import service as accounts
from mediagate.accounts.repository import Principal
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url
from mediagate.tasks import service as tasks
from mediagate.tasks.schemas import CreateTaskRequest

CONNECTIONS = 32


async def seed(url: str) -> tuple[str, str]:
    """A key and one task of its account."""
    db = Database(parse_database_url(url))
    try:
        key = await accounts.create_key(db, account="bench")
        principal = Principal(key.account_id, key.key_id, key.mode)
        body = CreateTaskRequest(
            type="image", model="local-image", input={"prompt": "a fox"}, metadata={"p": "b"}
        )
        created = await tasks.create(db, principal, body, None)
        return key.secret, created.task["id"]
    finally:
        await db.close()


def run_backend(name: str, url: str, data_dir: Path, seconds: int, rounds: int) -> dict:
    upgrade(parse_database_url(url))
    secret, task_id = asyncio.run(seed(url))
    headers = {"Authorization": f"Bearer {secret}"}
    # The API alone (no task workers in the process): the task stays pending, as most of the
    # tasks clients poll are, and the engine's work does not share the CPU being measured.
    env = {
        "MEDIAGATE_DATABASE_URL": url,
        "MEDIAGATE_DATA_DIR": str(data_dir),
        "MEDIAGATE_WORKERS": "0",
    }
    path = f"/api/v1/tasks/{task_id}"
    with uvicorn_server("mediagate.api.app:create_app", env, factory=True) as gate:
        response = httpx.get(gate + path, headers=headers)
        response.raise_for_status()
        body_file = data_dir / "body.json"
        body_file.write_bytes(response.content)
        with uvicorn_server(
            "bare_app:app",
            {"BENCH_BODY_FILE": str(body_file), "PYTHONPATH": str(Path(__file__).parent)},
        ) as bare:
            for base in (bare, gate):  # warm-up
                wrk(base + path, seconds=2, connections=CONNECTIONS, headers=headers)
            bare_runs: list[WrkResult] = []
            gate_runs: list[WrkResult] = []
            for _ in range(rounds):
                bare_runs.append(
                    wrk(bare + path, seconds=seconds, connections=CONNECTIONS, headers=headers)
                )
                gate_runs.append(
                    wrk(gate + path, seconds=seconds, connections=CONNECTIONS, headers=headers)
                )
    bare_rps = statistics.median(r.rps for r in bare_runs)
    gate_rps = statistics.median(r.rps for r in gate_runs)
    return {
        "backend": name,
        "bare_rps": bare_rps,
        "gate_rps": gate_rps,
        "ratio": gate_rps / bare_rps,
        "gate_p50": statistics.median(r.p50_ms for r in gate_runs),
        "gate_p99": max(r.p99_ms for r in gate_runs),
        "bare_p99": max(r.p99_ms for r in bare_runs),
        "errors": sum(r.errors for r in gate_runs + bare_runs),
        "rounds": [(round(b.rps), round(g.rps)) for b, g in zip(bare_runs, gate_runs, strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    require_wrk()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            d = Path(tmp) / "sqlite"
            results.append(
                run_backend("SQLite", f"sqlite:///{d}/bench.db", d, args.seconds, args.rounds)
            )
        if args.backend in ("postgresql", "both"):
            d = Path(tmp) / "pg"
            d.mkdir()
            url = fresh_postgres_database("mediagate_bench_get")
            results.append(run_backend("PostgreSQL", url, d, args.seconds, args.rounds))
    lines = [
        "## GET /api/v1/tasks/{id} against a bare Starlette endpoint",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python bench/bench_get_task.py --seconds {args.seconds} "
        f"--rounds {args.rounds}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Load: wrk, 1 thread, {CONNECTIONS} connections, {args.seconds} s rounds, bare and "
        "mediagate alternating; each server one uvicorn process (uvloop, httptools). Medians of "
        "the rounds; p99 is the worst round. The task read is pending (its queue position is "
        "computed on each read); mediagate runs the API alone (`MEDIAGATE_WORKERS=0`).",
        "- Goal: ratio at least 0.5, mediagate p99 under 20 ms.",
        "",
        "| backend | bare req/s | mediagate req/s | ratio | mediagate p50 ms | mediagate p99 ms "
        "| bare p99 ms | errors | rounds (bare, mediagate) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['bare_rps']:.0f} | {r['gate_rps']:.0f} | {r['ratio']:.2f} | "
            f"{r['gate_p50']:.2f} | {r['gate_p99']:.2f} | {r['bare_p99']:.2f} | {r['errors']} | "
            f"{r['rounds']} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.backend == "both":
        write_section("get-task", text)


if __name__ == "__main__":
    main()
