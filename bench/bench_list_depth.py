"""Benchmark: a list page at depth 0 and at depth 10,000 among 1,000,000 tasks of one account.

PostgreSQL only. The tasks are seeded in one SQL statement (statuses, models and providers
mixed, runs of equal `created_at`), then `GET /api/v1/tasks` is loaded by wrk with the same
filters at depth 0 (no cursor) and at depth 10,000 (the cursor a client holds after walking
10,000 matching tasks), alternating rounds. Each response includes `total`. The figure that
matters is the ratio of the two: keyset pagination should make it about 1.

    .venv/bin/python bench/bench_list_depth.py [--tasks 1000000] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
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
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.urls import parse_database_url
from mediagate.tasks import cursor, housekeeping

CONNECTIONS = 8
DEPTH = 10_000
PAGE = 20
SCENARIOS: list[tuple[str, dict[str, str]]] = [
    ("no filter", {}),
    ("status", {"status": "succeeded"}),
    ("status + modelId", {"status": "succeeded", "modelId": "local-image"}),
    ("provider + date range", {"provider": "local", "startDate": "2026-01-02T00:00:00Z",
                               "endDate": "2026-01-20T00:00:00Z"}),
]  # fmt: skip

# One statement: i-th task gets a status from a cycle of 4 and a model from a cycle of 5
# (so every status/model pair occurs), created_at one second apart in runs of 3 equal values.
SEED_SQL = """
INSERT INTO tasks (id, account_id, key_id, sandbox, type, model, provider, status, progress,
                   queue_position, eta_seconds, cost_micros, input, metadata, result,
                   error_code, error_message, timeout_s, created_at, completed_at, updated_at)
SELECT 'task_' || md5(i::text),
       $1, $2, 0,
       (ARRAY['image','video','audio','music','model3d'])[(i / 4) % 5 + 1],
       (ARRAY['local-image','local-video','local-audio','local-music','local-3d'])[(i / 4) % 5 + 1],
       'local',
       (ARRAY['pending','succeeded','failed','cancelled'])[i % 4 + 1],
       CASE WHEN i % 4 = 1 THEN 100 ELSE 0 END,
       -1, -1,
       CASE WHEN i % 4 = 1 THEN 20000 ELSE 0 END,
       '{"prompt":"a fox number ' || i || '"}',
       '{"batch":"bench","i":' || i || '}',
       CASE WHEN i % 4 = 1 THEN '[{"url":"stored","format":"png","size_bytes":1}]' END,
       CASE WHEN i % 4 = 2 THEN 'PROVIDER_ERROR' END,
       CASE WHEN i % 4 = 2 THEN 'the provider failed' END,
       300,
       $3::bigint + (i / 3)::bigint * 1000000,
       CASE WHEN i % 4 <> 0 THEN $3::bigint + (i / 3)::bigint * 1000000 + 5000000 END,
       $3::bigint + (i / 3)::bigint * 1000000
FROM generate_series(0, $4 - 1) AS i
"""
EPOCH_2026_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


async def seed(url: str, n: int) -> str:
    """Seed `n` tasks of one account; returns its key."""
    db = Database(parse_database_url(url))
    try:
        key = await accounts.create_key(db, account="bench-list")
    finally:
        await db.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SEED_SQL, key.account_id, key.key_id, EPOCH_2026_US, n)
    finally:
        await conn.close()
    db = Database(parse_database_url(url))
    try:
        await housekeeping.compact_counts(db, max_passes=10_000)  # the background upkeep
    finally:
        await db.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return key.secret


async def cursor_at_depth(url: str, params: dict[str, str], secret: str, base: str) -> str:
    """The cursor a client holds after walking `DEPTH` tasks: walked for real, 100 at a time."""
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    ) as http:
        next_cursor: str | None = None
        seen = 0
        while seen < DEPTH:
            query = {**params, "limit": "100"}
            if next_cursor:
                query["cursor"] = next_cursor
            body = (await http.get("/api/v1/tasks", params=query)).raise_for_status().json()
            seen += len(body["data"])
            next_cursor = body["pagination"]["cursor"]
            assert next_cursor, f"fewer than {DEPTH} tasks match {params}"
        cursor.decode(next_cursor)  # it is a well-formed cursor
        return next_cursor


def measure(base: str, params: dict[str, str], deep: str, secret: str, seconds: int, rounds: int):
    headers = {"Authorization": f"Bearer {secret}"}
    shallow_url = f"{base}/api/v1/tasks?{urlencode({**params, 'limit': PAGE})}"
    deep_url = f"{base}/api/v1/tasks?{urlencode({**params, 'limit': PAGE, 'cursor': deep})}"
    total = httpx.get(shallow_url, headers=headers).json()["pagination"]["total"]
    for url in (shallow_url, deep_url):  # warm-up
        wrk(url, seconds=1, connections=CONNECTIONS, headers=headers)
    shallow: list[WrkResult] = []
    deeper: list[WrkResult] = []
    for _ in range(rounds):
        shallow.append(wrk(shallow_url, seconds=seconds, connections=CONNECTIONS, headers=headers))
        deeper.append(wrk(deep_url, seconds=seconds, connections=CONNECTIONS, headers=headers))
    s_rps = statistics.median(r.rps for r in shallow)
    d_rps = statistics.median(r.rps for r in deeper)
    return {
        "total": total,
        "s_rps": s_rps,
        "d_rps": d_rps,
        "s_p50": statistics.median(r.p50_ms for r in shallow),
        "d_p50": statistics.median(r.p50_ms for r in deeper),
        "s_p99": max(r.p99_ms for r in shallow),
        "d_p99": max(r.p99_ms for r in deeper),
        "errors": sum(r.errors for r in shallow + deeper),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require_wrk()
    url = fresh_postgres_database("mediagate_bench_list")
    upgrade(parse_database_url(url))
    started = time.monotonic()
    secret = asyncio.run(seed(url, args.tasks))
    seeded_s = time.monotonic() - started
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MEDIAGATE_DATABASE_URL": url, "MEDIAGATE_DATA_DIR": str(Path(tmp))}
        with uvicorn_server("mediagate.api.app:create_app", env, factory=True) as base:
            for name, params in SCENARIOS:
                deep = asyncio.run(cursor_at_depth(url, params, secret, base))
                r = measure(base, params, deep, secret, args.seconds, args.rounds)
                rows.append((name, r))
                print(name, r, flush=True)
    lines = [
        f"## List page at depth 0 and {DEPTH:,} among {args.tasks:,} tasks (PostgreSQL)",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python bench/bench_list_depth.py --tasks {args.tasks} "
        f"--seconds {args.seconds} --rounds {args.rounds}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Data: {args.tasks:,} tasks of one account seeded in {seeded_s:.0f} s (4 statuses x 5 "
        "models, runs of 3 equal `created_at`; counts compacted). Pages of "
        f"{PAGE} with `total`; the deep cursor is reached by walking {DEPTH:,} matching tasks.",
        f"- Load: wrk, 1 thread, {CONNECTIONS} connections, {args.seconds} s rounds, depth 0 and "
        "deep alternating; one uvicorn process. Medians of the rounds; p99 is the worst round.",
        "- Goal: the deep page costs about the same as the first (ratio near 1).",
        "",
        "| filters | total | depth 0 req/s | deep req/s | deep / depth 0 | depth 0 p50 ms "
        "| deep p50 ms | depth 0 p99 ms | deep p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['total']:,} | {r['s_rps']:.0f} | {r['d_rps']:.0f} | "
            f"{r['d_rps'] / r['s_rps']:.2f} | {r['s_p50']:.1f} | {r['d_p50']:.1f} | "
            f"{r['s_p99']:.1f} | {r['d_p99']:.1f} | {r['errors']} |"
        )
    text = "\n".join(lines)
    print(text)
    write_section("list-depth", text)


if __name__ == "__main__":
    main()
