"""Benchmark: how fast events reach clients, how many streams one API process holds, and how
fast webhooks go out, on PostgreSQL (`mediagate serve` as a process, clients in this one).

- latency: 10,000 running tasks are finished by direct writes (10 per transaction every 10 ms
  on 4 connections: 1,000 tasks a second, as workers' final writes), while one SSE client follows
  the account stream and a webhook endpoint receives `task.succeeded`. Figures: from each
  write's commit to the client's and the receiver's reading. Baseline in the same run: a bare
  PostgreSQL NOTIFY/LISTEN round trip at the same rate (the floor of any push from PostgreSQL).
- streams: 10,000 task streams open on one API process (`serve --workers 0`): its memory and
  the database's statements per second while they are idle (against no stream open, same run),
  then every task finished (1,000/s): every stream must get its final event and end.
- webhooks: 3,000 tasks on the instant provider through the whole engine with an endpoint for
  every status change; deliveries per second to a fast receiver against tasks per second in the
  same run; then again with a second endpoint that never answers (it must not lower the rate).

    .venv/bin/python bench/bench_events.py [--part latency|streams|webhooks|all]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import orjson

from common import ROOT, free_port, fresh_postgres_database, machine, write_section
from mediagate.accounts import service as accounts
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url

sys.path.insert(0, str(Path(__file__).parent))  # the instant provider plugin

RESULT = jsonutil.dumps(
    [{"key": "bench/x/0.png", "format": "png", "content_type": "image/png", "size_bytes": 1}]
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the gateway and its database -------------------------------------------------------------


def _environ(url: str, data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDIAGATE_")},
        "MEDIAGATE_DATABASE_URL": url,
        "MEDIAGATE_DATA_DIR": str(data_dir),
        "MEDIAGATE_FETCH_PRIVATE_URLS": "true",
        "MEDIAGATE_LOG_LEVEL": "warning",
        "MEDIAGATE_SHUTDOWN_GRACE_SECONDS": "1",
        "PYTHONPATH": str(Path(__file__).parent),
        **{f"MEDIAGATE_{k.upper()}": v for k, v in env.items()},
    }


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@contextlib.contextmanager
def worker(url: str, data_dir: Path, **env: str) -> Iterator[int]:
    """`mediagate worker` (task steps and webhook deliveries) in its own process; its pid."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "worker"],
        env=_environ(url, data_dir, env), cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield proc.pid
    finally:
        _stop(proc)


@contextlib.contextmanager
def gateway(url: str, data_dir: Path, *args: str, **env: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    environ = _environ(url, data_dir, env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "serve", "--port", str(port), *args],
        env=environ, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mediagate serve did not start")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        _stop(proc)


async def fresh_database(name: str) -> str:
    """A fresh, migrated PostgreSQL database (both helpers run event loops of their own)."""
    url = await asyncio.to_thread(fresh_postgres_database, name)
    await asyncio.to_thread(upgrade, parse_database_url(url))
    return url


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def seed_running(url: str, n: int) -> tuple[str, list[str]]:
    """A key and `n` running tasks the engine leaves alone (nothing due): (key, task ids)."""
    db = Database(parse_database_url(url))
    await db.open()
    try:
        key = await accounts.create_key(db, account="bench-events")
        now = now_us()
        rows = [
            {
                "id": new_id("task"), "account_id": key.account_id, "key_id": key.key_id,
                "type": "image", "model": "local-image", "provider": "local",
                "status": "running", "started_at": now, "input": '{"prompt": "p"}',
                "metadata": "{}", "timeout_s": 3600, "created_at": now, "updated_at": now,
            }
            for _ in range(n)
        ]  # fmt: skip
        async with db.write() as conn:
            for start in range(0, n, 1000):
                await conn.execute(tasks.insert(), rows[start : start + 1000])
        return key.secret, [r["id"] for r in rows]
    finally:
        await db.close()


async def finish_at_rate(
    dsn: str, ids: list[str], per_second: int = 1000, batch: int = 10
) -> dict[str, float]:
    """Mark the tasks succeeded, `batch` per transaction, `per_second` in all, on 4
    connections; returns each task's commit time."""
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=4)
    committed: dict[str, float] = {}
    interval = batch / per_second

    async def one(chunk: list[str]) -> None:
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE tasks SET status = 'succeeded', progress = 100, result = $2, "
                "completed_at = $3, updated_at = $3 WHERE id = ANY($1::text[])",
                chunk, RESULT, now_us(),
            )  # fmt: skip
        done = time.time()
        for task_id in chunk:
            committed[task_id] = done

    started = time.monotonic()
    pending = []
    for i in range(0, len(ids), batch):
        await asyncio.sleep(max(0.0, started + (i // batch) * interval - time.monotonic()))
        pending.append(asyncio.create_task(one(ids[i : i + batch])))
    await asyncio.gather(*pending)
    await pool.close()
    return committed


# --- clients: SSE over raw sockets, a webhook receiver -----------------------------------------


async def open_stream(base: str, path: str, key: str) -> asyncio.StreamReader:
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    reader._writer = writer  # type: ignore[attr-defined]  # kept alive with the reader
    return reader


async def sse_data(reader: asyncio.StreamReader) -> Iterator[bytes]:
    """Each event's data line (the stream is chunked; data lines are whole lines)."""
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            yield line[6:].rstrip(b"\r\n")


class Receiver:
    """A fast webhook receiver (HTTP/1.1 keep-alive) recording when each body arrives; with
    `hang`, it reads requests and never answers."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.arrivals: list[tuple[float, bytes]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                if self.hang:
                    await asyncio.sleep(3600)
                self.arrivals.append((time.time(), body))
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        writer.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def notify_baseline(dsn: str, n: int, per_second: int) -> list[float]:
    """Latency of a bare NOTIFY with its send time, sent at `per_second` in transactions of 10."""
    listener, sender = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    got: list[float] = []
    done = asyncio.Event()

    def on_notify(*args: object) -> None:
        got.append(time.time() - float(args[3]))  # type: ignore[arg-type]
        if len(got) >= n // 10:
            done.set()

    await listener.add_listener("bench_latency", on_notify)
    started = time.monotonic()
    for i in range(n // 10):
        await asyncio.sleep(max(0.0, started + i * 10 / per_second - time.monotonic()))
        await sender.execute(f"NOTIFY bench_latency, '{time.time()}'")
    await asyncio.wait_for(done.wait(), 30)
    await listener.close()
    await sender.close()
    return got


# --- the three parts -------------------------------------------------------------------------


async def latency_run(n: int, rate: int, workers: int = 1) -> list[tuple[str, list[float], int]]:
    """One run at `rate` final writes a second: the API (`serve --workers 0`) and `workers`
    `mediagate worker` processes (which send the webhooks), as deployed."""
    url = await fresh_database("mediagate_bench_events")
    key, ids = await seed_running(url, n)
    receiver = Receiver()
    hook = await receiver.start()
    with (
        tempfile.TemporaryDirectory() as tmp,
        gateway(url, Path(tmp), "--workers", "0") as (base, _pid),
        contextlib.ExitStack() as stack,
    ):
        for _ in range(workers):
            stack.enter_context(worker(url, Path(tmp)))
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}
        ) as c:
            r = await c.post("/api/v1/webhooks", json={"url": hook, "events": ["task.succeeded"]})
            assert r.status_code == 201, r.text
            # The worker is up and sending before the clock starts: a test event gets through.
            deadline = time.monotonic() + 60
            while not receiver.arrivals:
                await c.post(f"/api/v1/webhooks/{r.json()['data']['id']}/test")
                await asyncio.sleep(0.5)
                assert time.monotonic() < deadline, "the worker never sent the test event"
            receiver.arrivals.clear()
        stream = await open_stream(base, "/api/v1/events/stream?types=task.succeeded", key)
        seen: dict[str, float] = {}

        async def follow() -> None:
            async for data in sse_data(stream):
                seen[orjson.loads(data)["data"]["id"]] = time.time()
                if len(seen) >= n:
                    return

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0.5)
        committed = await finish_at_rate(url, ids, per_second=rate)
        await asyncio.wait_for(follower, 120)
        deadline = time.monotonic() + 120
        while len(receiver.arrivals) < n and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    receiver.close()
    hooked = {orjson.loads(b)["data"]["id"]: t for t, b in receiver.arrivals}
    sse = [(seen[i] - committed[i]) * 1000 for i in ids if i in seen]
    web = [(hooked[i] - committed[i]) * 1000 for i in ids if i in hooked]
    base_ms = [x * 1000 for x in await notify_baseline(url, n, rate)]
    return [
        (f"SSE (account stream), {rate:,}/s", sse, n),
        (f"webhook (endpoint), {rate:,}/s", web, n),
        (f"baseline: bare NOTIFY/LISTEN, {rate:,}/s", base_ms, n // 10),
    ]


async def part_latency(n: int, workers: int = 1) -> str:
    rows = [*await latency_run(n, 1000, workers), *await latency_run(n // 4, 250, workers)]
    table = "\n".join(
        f"| {name} | {len(v)}/{total} | {pct(v, 0.5):.1f} | {pct(v, 0.95):.1f} | "
        f"{pct(v, 0.99):.1f} | {max(v):.1f} |"
        for name, v, total in rows
    )
    return (
        f"- {n:,} running tasks finished by direct final writes at 1,000/s (10 per transaction "
        f"every 10 ms, 4 connections), then {n // 4:,} at 250/s; the API alone (`serve "
        f"--workers 0`) and {workers} `mediagate worker` process(es) sending the webhooks, as "
        "deployed; one client "
        "on `GET /api/v1/events/stream?types=task.succeeded`; one endpoint for `task.succeeded` "
        "on a loopback receiver. Latency from each write's commit to the client reading the "
        "event / the receiver reading the request.\n"
        "- Goal: p95 under 100 ms (SSE) and under 500 ms (webhook), at 1,000/s.\n\n"
        "| path | delivered | p50 ms | p95 ms | p99 ms | max ms |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"{table}\n"
    )


async def _statements(dsn: str, name: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name
        )
    finally:
        await conn.close()


async def _idle_rate(dsn: str, name: str, seconds: float = 10) -> float:
    before = await _statements(dsn, name)
    await asyncio.sleep(seconds)
    return (await _statements(dsn, name) - before) / seconds


async def part_streams(n: int) -> str:
    name = "mediagate_bench_streams"
    url = await fresh_database(name)
    key, ids = await seed_running(url, n)
    with tempfile.TemporaryDirectory() as tmp, gateway(url, Path(tmp), "--workers", "0") as (
        base, pid,
    ):  # fmt: skip
        rss_before, _ = rss_mb(pid)
        idle_none = await _idle_rate(url, name)
        readers = []
        for start in range(0, n, 250):
            readers += await asyncio.gather(
                *(
                    open_stream(base, f"/api/v1/tasks/{i}/stream", key)
                    for i in ids[start : start + 250]
                )
            )
        finals: dict[str, int] = {}
        first = asyncio.Event()
        firsts = 0

        async def follow(task_id: str, reader: asyncio.StreamReader) -> None:
            nonlocal firsts
            count = 0
            async for data in sse_data(reader):
                count += 1
                if count == 1:
                    firsts += 1
                    if firsts == n:
                        first.set()
                if b'"type":"task.succeeded"' in data:
                    finals[task_id] = count
            # the server ended the stream after the final event

        followers = [asyncio.create_task(follow(i, r)) for i, r in zip(ids, readers, strict=True)]
        await asyncio.wait_for(first.wait(), 120)
        await asyncio.sleep(10)  # each stream's opening queries (key, task, backlog) are done
        rss_open, _ = rss_mb(pid)
        idle_streams = await _idle_rate(url, name)
        started = time.monotonic()
        await finish_at_rate(url, ids)
        await asyncio.wait_for(asyncio.gather(*followers), 120)
        drained = time.monotonic() - started
        _rss_end, rss_peak = rss_mb(pid)
    return (
        f"- {n:,} task streams (`GET /api/v1/tasks/{{id}}/stream`, raw sockets from one client "
        "process) open on one `mediagate serve --workers 0` process; after 10 s for the openings' "
        "queries to end, idle for 10 s; then every "
        "task finished by direct final writes at 1,000/s.\n"
        "- Goal: under 500 MB, no per-stream database polling, every final event delivered.\n\n"
        "| figure | value |\n| --- | --- |\n"
        f"| API process memory, no stream open | {rss_before:.0f} MB |\n"
        f"| API process memory, {n:,} streams open and idle | {rss_open:.0f} MB |\n"
        f"| API process peak memory, all finishing | {rss_peak:.0f} MB |\n"
        f"| database transactions/s, no stream open (baseline) | {idle_none:.1f} |\n"
        f"| database transactions/s, {n:,} streams idle | {idle_streams:.1f} |\n"
        f"| streams that got their final event and ended | {len(finals):,} of {n:,} |\n"
        f"| time from the first final write to the last stream ending | {drained:.1f} s "
        f"({n / drained:.0f} finals/s) |\n"
    )


async def part_webhooks(n: int) -> str:
    from bench_throughput import seed

    out = []
    for hang in (False, True):
        url = await fresh_database("mediagate_bench_hooks")
        fast, slow = Receiver(), Receiver(hang=True)
        fast_url, slow_url = await fast.start(), await slow.start()
        db = Database(parse_database_url(url))
        await db.open()
        try:  # the account that `seed` fills (bench-instant)
            key = await accounts.create_key(db, account="bench-instant")
        finally:
            await db.close()
        with tempfile.TemporaryDirectory() as tmp, gateway(
            url, Path(tmp), workers="64", provider_plugins='["instant_provider:make"]',
            provider_concurrency='{"instant": 64}',
        ) as (base, _pid):  # fmt: skip
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {key.secret}"}
            ) as c:
                r = await c.post("/api/v1/webhooks", json={"url": fast_url})
                assert r.status_code == 201, r.text
                if hang:
                    r = await c.post("/api/v1/webhooks", json={"url": slow_url})
                    assert r.status_code == 201, r.text
            db = Database(parse_database_url(url))
            await db.open()
            started = time.time()
            try:
                await seed(db, n)
            finally:
                await db.close()
            expected = None
            deadline = time.monotonic() + 300
            conn = await asyncpg.connect(url)
            try:
                while time.monotonic() < deadline:
                    done = await conn.fetchval(
                        "SELECT count(*) FROM tasks WHERE status = 'succeeded'"
                    )
                    expected = await conn.fetchval(
                        "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e "
                        "ON e.id = d.endpoint_id WHERE e.url = $1",
                        fast_url,
                    )
                    if done >= n and len(fast.arrivals) >= expected:
                        break
                    await asyncio.sleep(0.2)
                last_task = await conn.fetchval("SELECT max(completed_at) FROM tasks") / 1e6
            finally:
                await conn.close()
        fast.close()
        slow.close()
        task_rate = n / (last_task - started)
        hook_rate = len(fast.arrivals) / (max(t for t, _ in fast.arrivals) - started)
        out.append((hang, task_rate, len(fast.arrivals), expected, hook_rate))
    rows = "\n".join(
        f"| {'with' if hang else 'without'} a hanging endpoint | {task:.0f} | {got:,}/{exp:,} | "
        f"{rate:.0f} | {rate / task:.2f} |"
        for hang, task, got, exp, rate in out
    )
    return (
        f"- {n:,} tasks due at once on the instant provider, one `mediagate serve` process (64 "
        "step slots, 64 delivery slots, 16 per endpoint); one endpoint with the default events "
        "(queued, running, succeeded, failed, cancelled, expired) on a fast loopback receiver; "
        "in the second run a second endpoint whose receiver never answers (15 s timeout).\n"
        "- Deliveries per second to the fast receiver from the first task's creation to its last "
        "request, against tasks per second (creation to the last success) in the same run.\n\n"
        "| run | tasks/s | deliveries | deliveries/s | deliveries per task-second |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["latency", "streams", "webhooks", "all"], default="all")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--webhook-tasks", type=int, default=3_000)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sending webhooks (latency)"
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    header = (
        f"- Machine: {machine()}\n"
        f"- Command: `.venv/bin/python bench/bench_events.py --part {args.part}"
        + (f" --workers {args.workers}" if args.workers != 1 else "")
        + "`\n"
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    )
    parts = {
        "latency": ("events-latency", "Event latency: final write to SSE client and webhook",
                    lambda: part_latency(args.tasks, args.workers)),
        "streams": ("events-streams", "10,000 open SSE streams on one API process",
                    lambda: part_streams(args.tasks)),
        "webhooks": ("events-webhooks", "Webhook throughput against task throughput",
                     lambda: part_webhooks(args.webhook_tasks)),
    }  # fmt: skip
    for part, (section, title, run) in parts.items():
        if args.part not in (part, "all"):
            continue
        body = asyncio.run(run())
        print(body, flush=True)
        write_section(section, f"## {title}\n\n{header}{body}")


if __name__ == "__main__":
    main()
