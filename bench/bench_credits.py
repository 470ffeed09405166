"""Benchmark: what credits cost. (1) The whole task lifecycle (as in bench_throughput.py) on a
prepaid account, where every task's final write also settles its hold on the account's row,
against the same run postpaid; goal: no more than 10 % slower. (2) Creates on one account from
32 concurrent clients (wrk POST /api/v1/tasks, the API alone), prepaid (each create holds on
the one hot account row) against postpaid; goal: at least 0.7 of the postpaid rate.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_credits.py [--part throughput|creates|all] [--tasks 3000]
        [--rounds 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))

from bench_throughput import run_mediagate
from common import (
    fresh_postgres_database,
    machine,
    require_wrk,
    uvicorn_server,
    write_section,
    wrk,
)
from mediagate.accounts import service as accounts
from mediagate.billing import service as billing
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url

CONNECTIONS = 32
POST_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"type": "image", "model": "local-image", "input": {"prompt": "a red fox"}}'
wrk.headers["Content-Type"] = "application/json"
"""


def throughput(args: argparse.Namespace) -> list[str]:
    runs: dict[str, list[float]] = {}
    for r in range(args.rounds):
        order = [False, True] if r % 2 == 0 else [True, False]
        for prepaid in order:
            pg = fresh_postgres_database("mediagate_bench_credits")
            rate = asyncio.run(run_mediagate(pg, args.tasks, args.slots, prepaid=prepaid))
            runs.setdefault(f"postgresql {'prepaid' if prepaid else 'postpaid'}", []).append(rate)
            with tempfile.TemporaryDirectory() as tmp:
                rate = asyncio.run(run_mediagate(
                    f"sqlite:///{tmp}/c.db", args.tasks, args.slots, prepaid=prepaid))  # fmt: skip
            runs.setdefault(f"sqlite {'prepaid' if prepaid else 'postpaid'}", []).append(rate)
        print(f"round {r + 1}:", {k: round(v[-1]) for k, v in runs.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    lines = [
        "### Throughput, prepaid against postpaid",
        "",
        f"- Command: `.venv/bin/python bench/bench_credits.py --part throughput --tasks "
        f"{args.tasks} --rounds {args.rounds}`",
        f"- Work: {args.tasks} tasks due at once on one account, one process with {args.slots} "
        "concurrent steps (bench_throughput.py's run). Prepaid: every task holds its price and "
        "its final write charges it (the settle trigger updates the account row and writes the "
        "ledger entry in that transaction). Postpaid and prepaid alternate, fresh databases.",
        "- Goal: prepaid at least 0.9 of postpaid.",
        "",
        "| database | postpaid tasks/s | prepaid tasks/s | ratio | rounds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for db in ("postgresql", "sqlite"):
        post, pre = med[f"{db} postpaid"], med[f"{db} prepaid"]
        lines.append(f"| {db} | {post:.0f} | {pre:.0f} | {pre / post:.2f} | {args.rounds} |")
    return lines


async def _keys(url: str) -> tuple[str, str]:
    """(a postpaid account's key, a prepaid account's key: credits for a million creates)."""
    db = Database(parse_database_url(url))
    try:
        post = await accounts.create_key(db, account="bench-postpaid")
        pre = await accounts.create_key(db, account="bench-prepaid")
        await billing.grant(db, "bench-prepaid", 10**6 * 2_000, "benchmark")
        return post.secret, pre.secret
    finally:
        await db.close()


async def _check(url: str) -> tuple[int, int, int]:
    """(prepaid tasks, their holds in the ledger, the account's held amount)."""
    db = Database(parse_database_url(url))
    try:
        async with db.read() as conn:
            row = (await conn.execute(text(
                "SELECT (SELECT count(*) FROM tasks t JOIN accounts a ON a.id = t.account_id "
                "WHERE a.name = 'bench-prepaid'), (SELECT count(*) FROM ledger_entries l "
                "JOIN accounts a ON a.id = l.account_id WHERE a.name = 'bench-prepaid' AND "
                "l.type = 'hold'), (SELECT held_micros FROM accounts WHERE name = "
                "'bench-prepaid')"))).one()  # fmt: skip
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        await db.close()


def _create_run(
    tmp: str, backend: str, name: str, seconds: int, script: Path
) -> tuple[float, float, int]:
    """One wrk run on a fresh database (every run starts from an empty queue): (creates/s,
    p99 ms, errors). Checked after it: one hold per prepaid task, `held` their sum."""
    url = (
        fresh_postgres_database("mediagate_bench_creates")
        if backend == "postgresql"
        else f"sqlite:///{tmp}/creates-{time.monotonic_ns()}.db"
    )
    upgrade(parse_database_url(url))
    post_key, pre_key = asyncio.run(_keys(url))
    env = {"MEDIAGATE_DATABASE_URL": url, "MEDIAGATE_DATA_DIR": f"{tmp}/{backend}",
           "MEDIAGATE_WORKERS": "0"}  # fmt: skip
    key = post_key if name == "postpaid" else pre_key
    with uvicorn_server("mediagate.api.app:create_app", env, factory=True) as base:
        result = wrk(f"{base}/api/v1/tasks", seconds=seconds, connections=CONNECTIONS,
                     headers={"Authorization": f"Bearer {key}"}, script=script)  # fmt: skip
    made, holds, held = asyncio.run(_check(url))
    assert made == holds and held == made * 2_000, (made, holds, held)
    return result.rps, result.p99_ms, result.errors


def creates(args: argparse.Namespace) -> list[str]:
    require_wrk()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(POST_SCRIPT)
        for backend in ("postgresql", "sqlite"):
            rates: dict[str, list[float]] = {"postpaid": [], "prepaid": []}
            p99: dict[str, list[float]] = {"postpaid": [], "prepaid": []}
            errors = {"postpaid": 0, "prepaid": 0}
            for r in range(args.rounds):
                order = ["postpaid", "prepaid"] if r % 2 == 0 else ["prepaid", "postpaid"]
                for name in order:
                    rps, tail_ms, failed = _create_run(tmp, backend, name, args.seconds, script)
                    rates[name].append(rps)
                    p99[name].append(tail_ms)
                    errors[name] += failed
                print(backend, f"round {r + 1}:", {k: round(v[-1]) for k, v in rates.items()},
                      flush=True)  # fmt: skip
            post, pre = statistics.median(rates["postpaid"]), statistics.median(rates["prepaid"])
            tail = {k: statistics.median(v) for k, v in p99.items()}
            rows.append(
                f"| {backend} | {post:.0f} | {pre:.0f} | {pre / post:.2f} | "
                f"{tail['postpaid']:.1f} / {tail['prepaid']:.1f} | "
                f"{errors['postpaid']} / {errors['prepaid']} | {args.rounds} x {args.seconds} s |"
            )
    return [
        "### Creates on one account, prepaid against postpaid",
        "",
        f"- Command: `.venv/bin/python bench/bench_credits.py --part creates --rounds "
        f"{args.rounds} --seconds {args.seconds}`",
        f"- Work: wrk, {CONNECTIONS} connections, POST /api/v1/tasks (local-image) with one "
        "account's key, against the API alone (`MEDIAGATE_WORKERS=0`, uvloop, httptools), each "
        "run on a fresh database and server (the queue starts empty each time). "
        "Prepaid: each create holds 0.002 on the account's row (a conditional update) and "
        "writes its ledger entry; checked after each run: one hold per task, the account's "
        "`held` their sum. Postpaid and prepaid alternate.",
        "- Goal: prepaid at least 0.7 of postpaid.",
        "",
        "| database | postpaid creates/s | prepaid creates/s | ratio | p99 ms (post / pre) "
        "| wrk errors (post / pre) | runs |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("throughput", "creates", "all"), default="all")
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    sections = []
    if args.part in ("throughput", "all"):
        sections += [*throughput(args), ""]
    if args.part in ("creates", "all"):
        sections += creates(args)
    body = [
        "## Credits: prepaid against postpaid",
        "",
        f"- Machine: {machine()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        *sections,
    ]
    print("\n".join(body))
    write_section(f"credits-{args.part}", "\n".join(body))


if __name__ == "__main__":
    main()
