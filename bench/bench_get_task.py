"""Benchmark: `GET /api/v1/tasks/{id}` against a bare Starlette endpoint answering the same bytes.

Both run in one uvicorn process each (uvloop, httptools), loaded by the same wrk in alternating
rounds, on SQLite and on PostgreSQL, reading a pending, a running and a succeeded task (1 and 4
result files), on the default `serve` (engine in the process) and on `serve --workers 0`. The
figures that matter are the ratio of requests per second (goal: at least 0.5) and mediagate's
p99 at 32 connections (goal: under 20 ms).

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
import orjson
from sqlalchemy import update

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
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks as task_table
from mediagate.db.urls import parse_database_url
from mediagate.tasks import service as tasks
from mediagate.tasks.schemas import CreateTaskRequest

CONNECTIONS = 32


#: The tasks read: a pending one, a running one, and succeeded ones with 1 and 4 result files
#: (each with a preview: two signed URLs per file).
CASES = ("pending", "running", "succeeded, 1 file", "succeeded, 4 files")
_ITEM = {
    "key": "{account}/{task}/{n}.png", "format": "png", "size_bytes": 183_442, "width": 1024,
    "height": 1024, "content_type": "image/png",
    "thumbnail_key": "{account}/{task}/{n}.thumb.webp", "thumbnail_content_type": "image/webp",
}  # fmt: skip


async def seed(url: str, engine: bool) -> tuple[str, dict[str, str]]:
    """A key, and a task of its account per case. With an engine in the server, the running
    task is a real long render and the pending one waits behind it (one `local` slot); without,
    the rows are set so."""
    db = Database(parse_database_url(url))
    try:
        key = await accounts.create_key(db, account="bench")
        principal = Principal(key.account_id, key.key_id, key.mode)
        ids = {}
        for case in ("running", *(c for c in CASES if c != "running")):  # first claimed first
            body = CreateTaskRequest(
                type="image", model="local-image",
                input={"prompt": f"a fox, {case}", "render_seconds": 3600}, metadata={"p": "b"},
            )  # fmt: skip
            ids[case] = (await tasks.create(db, principal, body, None)).task["id"]
        now = now_us()
        async with db.write() as conn:
            for files, case in ((1, CASES[2]), (4, CASES[3])):
                items = [
                    {k: v.format(account=key.account_id, task=ids[case], n=n)
                     if isinstance(v, str) else v for k, v in _ITEM.items()}
                    for n in range(files)
                ]  # fmt: skip
                await conn.execute(
                    update(task_table).where(task_table.c.id == ids[case]).values(
                        status="succeeded", progress=100, queue_position=-1, eta_seconds=-1,
                        result=orjson.dumps(items).decode(), started_at=now, completed_at=now,
                        run_at=None, updated_at=now,
                    )
                )  # fmt: skip
            if not engine:
                await conn.execute(
                    update(task_table).where(task_table.c.id == ids["running"]).values(
                        status="running", progress=40, queue_position=-1, eta_seconds=90,
                        provider_job_id="bench", started_at=now, run_at=now + 3600 * 10**6,
                        updated_at=now,
                    )
                )  # fmt: skip
        return key.secret, ids
    finally:
        await db.close()


def _wait_for(gate: str, headers: dict[str, str], task_id: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while (
        httpx.get(f"{gate}/api/v1/tasks/{task_id}", headers=headers).json()["data"]["status"]
        != status
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{task_id} never became {status}")
        time.sleep(0.2)


def run_backend(
    name: str, url: str, data_dir: Path, seconds: int, rounds: int, engine: bool
) -> list[dict]:
    upgrade(parse_database_url(url))
    secret, ids = asyncio.run(seed(url, engine))
    headers = {"Authorization": f"Bearer {secret}"}
    env = {"MEDIAGATE_DATABASE_URL": url, "MEDIAGATE_DATA_DIR": str(data_dir),
           "MEDIAGATE_LOG_LEVEL": "warning"}  # fmt: skip
    if engine:  # the default `serve`; one of the account's tasks in flight at a time
        env["MEDIAGATE_ACCOUNT_CONCURRENCY"] = "1"
    else:
        env["MEDIAGATE_WORKERS"] = "0"
    results = []
    with uvicorn_server("mediagate.api.app:create_app", env, factory=True) as gate:
        if engine:
            _wait_for(gate, headers, ids["running"], "running")
        for case in CASES:
            path = f"/api/v1/tasks/{ids[case]}"
            response = httpx.get(gate + path, headers=headers)
            response.raise_for_status()
            assert response.json()["data"]["status"] == case.split(",")[0], response.text
            body_file = data_dir / "body.json"
            body_file.write_bytes(response.content)
            bare_env = {"BENCH_BODY_FILE": str(body_file), "PYTHONPATH": str(Path(__file__).parent)}
            with uvicorn_server("bare_app:app", bare_env) as bare:
                for base in (bare, gate):  # warm-up
                    wrk(base + path, seconds=2, connections=CONNECTIONS, headers=headers)
                bare_runs: list[WrkResult] = []
                gate_runs: list[WrkResult] = []
                for _ in range(rounds):
                    for runs, base in ((bare_runs, bare), (gate_runs, gate)):
                        runs.append(
                            wrk(base + path, seconds=seconds, connections=CONNECTIONS,
                                headers=headers)
                        )  # fmt: skip
            bare_rps = statistics.median(r.rps for r in bare_runs)
            gate_rps = statistics.median(r.rps for r in gate_runs)
            results.append({
                "backend": name, "server": "serve" if engine else "serve --workers 0",
                "case": case, "bare_rps": bare_rps, "gate_rps": gate_rps,
                "ratio": gate_rps / bare_rps,
                "gate_p50": statistics.median(r.p50_ms for r in gate_runs),
                "gate_p99": max(r.p99_ms for r in gate_runs),
                "bare_p99": max(r.p99_ms for r in bare_runs),
                "errors": sum(r.errors for r in gate_runs + bare_runs),
            })  # fmt: skip
            print(results[-1], flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    require_wrk()
    results = []
    for engine in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            if args.backend in ("sqlite", "both"):
                d = Path(tmp) / "sqlite"
                d.mkdir()
                url = f"sqlite:///{d}/bench.db"
                results += run_backend("SQLite", url, d, args.seconds, args.rounds, engine)
            if args.backend in ("postgresql", "both"):
                d = Path(tmp) / "pg"
                d.mkdir()
                url = fresh_postgres_database("mediagate_bench_get")
                results += run_backend("PostgreSQL", url, d, args.seconds, args.rounds, engine)
    lines = [
        "## GET /api/v1/tasks/{id} against a bare Starlette endpoint",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python bench/bench_get_task.py --seconds {args.seconds} "
        f"--rounds {args.rounds}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Load: wrk, 1 thread, {CONNECTIONS} connections, {args.seconds} s rounds, bare and "
        "mediagate alternating; each server one uvicorn process (uvloop, httptools); the bare "
        "endpoint answers the same bytes as mediagate's read. Medians of the rounds; p99 is the "
        "worst round. `serve`: the default server, engine in the process (the running task is a "
        "real render, polled as a watched task; the pending one waits behind it); `serve "
        "--workers 0`: the API alone. Succeeded tasks have 1 or 4 result files with previews "
        "(2 signed URLs each).",
        "- Goal: every case at least 0.5 of the bare endpoint, mediagate p99 under 20 ms.",
        "",
        "| backend | server | task | bare req/s | mediagate req/s | ratio | p50 ms | p99 ms "
        "| bare p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | `{r['server']}` | {r['case']} | {r['bare_rps']:.0f} | "
            f"{r['gate_rps']:.0f} | {r['ratio']:.2f} | {r['gate_p50']:.2f} | "
            f"{r['gate_p99']:.2f} | {r['bare_p99']:.2f} | {r['errors']} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.backend == "both":
        write_section("get-task", text)


if __name__ == "__main__":
    main()
