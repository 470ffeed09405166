"""Fault injection with real processes: a PostgreSQL server the test starts itself (to stop and
start at will), `mediagate simulator` for the live remote providers, a gateway of an API and
two workers (`process_support.Cluster`), a mix of tasks, a sampler of what clients see, and the
checks a client would make once the dust settles."""

from __future__ import annotations

import glob
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from billing.billing_support import MICROS, check_ledger, new_account, on_db
from helpers import FINAL, check_file, cli_env, free_port, start_serve, stop
from mediagate.accounts import service as accounts
from mediagate.providers.registry import remote_classes
from mediagate.simulator import SIM_CREDENTIALS
from process_support import Cluster, backward_moves

# -- a PostgreSQL server of the test's own ---------------------------------------------------


def _postgres_bindir() -> Path:
    """The folder of `initdb` and `pg_ctl` (on PATH, else the newest under /usr/lib/postgresql);
    without them the test fails under CI and is skipped elsewhere."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    message = "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class OwnPostgres:
    """A PostgreSQL server in a temporary folder on a free loopback port (trust auth), started
    with initdb and pg_ctl: never the machine's server. As root, the binaries run as the
    `postgres` user (initdb refuses root)."""

    bindir: Path
    datadir: Path
    port: int
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{tool} failed: {proc.stdout}{proc.stderr}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=300"
        )
        log = str(self.datadir / "server.log")
        self._run("pg_ctl", "-D", str(self.datadir / "data"), "-l", log, "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir / "data"), "-m", mode, "-w", "stop")

    def restart(self, down_s: float) -> None:
        """Stop the server (fast: every connection is cut), keep it down `down_s`, start it."""
        self.stop("fast")
        time.sleep(down_s)
        self.start()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    bindir = _postgres_bindir()
    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.fail("running as root, and no `postgres` user to run initdb as")
    datadir = Path(tempfile.mkdtemp(prefix="mediagate-pg-"))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(datadir, entry.pw_uid, entry.pw_gid)
    server = OwnPostgres(bindir, datadir, free_port(), run_as)
    try:
        server._run("initdb", "-D", str(datadir / "data"), "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8")  # fmt: skip
        server.start()
        yield server
    finally:
        with suppress(AssertionError, subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(datadir, ignore_errors=True)


# -- the provider simulator as a process of its own --------------------------------------------


@contextmanager
def simulator_process(state_dir: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`mediagate simulator` on a free port (quick jobs): its URL and process, at once (it
    comes up while the gateway does: `wait_answering`)."""
    port = free_port()
    with open(log, "a") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediagate", "simulator", "--port", str(port),
             "--state-dir", str(state_dir), "--queue-seconds", "0.3", "--run-seconds", "0.6"],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop(proc)


def wait_answering(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        with suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{url} did not come up:\n{log.read_text()}")
        time.sleep(0.1)


def submits_per_prompt(state_dir: Path) -> dict[str, int]:
    """How many jobs a simulator (its state folder) started for each prompt: one per submit
    it accepted."""
    counts: dict[str, int] = {}
    for path in (state_dir / "jobs").glob("*/*.json"):
        prompt = json.loads(path.read_text())["prompt"]
        counts[prompt] = counts.get(prompt, 0) + 1
    return counts


# -- the gateway: an API and two workers ------------------------------------------------------


@dataclass
class FaultGateway:
    """`process_support.Cluster` with the API restartable, the account's live key (prepaid)
    and sandbox key, and the simulator behind the live remote providers."""

    cluster: Cluster
    api: subprocess.Popen
    test_key: str
    account_id: str
    sim_state: Path
    logs: Path
    next_api: subprocess.Popen | None = None
    next_base: str = ""

    @property
    def url(self) -> str:
        return self.cluster.env["MEDIAGATE_DATABASE_URL"]

    def client(self, *, sandbox: bool = False) -> httpx.Client:
        key = self.test_key if sandbox else self.cluster.key
        return httpx.Client(
            base_url=self.cluster.base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def start_worker(self) -> subprocess.Popen:
        log = open(self.logs / "workers.log", "a")  # noqa: SIM115 (the child keeps its copy)
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediagate", "worker", "--workers", "4"],
            env=self.cluster.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.cluster.workers.append(proc)
        return proc

    def kill_worker(self, index: int) -> None:
        """SIGKILL one of the two live workers and start another in its place."""
        alive = [w for w in self.cluster.workers if w.poll() is None]
        victim = alive[index % len(alive)]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self.start_worker()

    def start_api(self) -> None:
        """Start a second API process (on a new port); `kill_api` switches to it. It comes up
        meanwhile (a process takes seconds to start on a busy machine)."""
        port = free_port()
        with open(self.logs / "api.log", "a") as log:
            self.next_api = subprocess.Popen(
                [sys.executable, "-m", "mediagate", "serve", "--port", str(port),
                 "--workers", "0"],
                env=self.cluster.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.next_base = f"http://127.0.0.1:{port}"

    def kill_api(self) -> None:
        """SIGKILL the API process, requests in flight and all; clients move to the one that
        `start_api` started."""
        assert self.next_api is not None
        wait_answering(f"{self.next_base}/healthz", self.next_api, self.logs / "api.log")
        self.api.send_signal(signal.SIGKILL)
        self.api.wait(10)
        self.api, self.cluster.base, self.next_api = self.next_api, self.next_base, None

    def close(self) -> None:
        for proc in [*self.cluster.workers, *([self.next_api] if self.next_api else [])]:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        stop(self.api)


def _remote_settings(sim_url: str) -> dict[str, str]:
    """Every remote provider's base URL on the simulator, with its credentials."""
    values = {}
    for name, cls in remote_classes().items():
        values[f"{name}_base_url"] = sim_url + httpx.URL(cls.default_base_url).path.rstrip("/")
        for credential in cls.credential_names:
            values[f"{name}_{credential}"] = SIM_CREDENTIALS[name][credential]
    return values


@contextmanager
def fault_gateway(database_url: str, tmp_path: Path) -> Iterator[FaultGateway]:
    """The simulator, the API (`serve --workers 0`) and two workers on `database_url`; an
    account with credits (prepaid), a live key and a sandbox key."""
    logs = tmp_path / "logs"
    logs.mkdir()
    sim_state = tmp_path / "simulator"
    with simulator_process(sim_state, logs / "simulator.log") as (sim_url, sim):
        env = cli_env(
            database_url=database_url,
            data_dir=str(tmp_path / "data"),
            lease_seconds="2",
            idle_poll_seconds="0.2",
            max_attempts="4",
            provider_timeout_seconds="2.5",
            sse_heartbeat_seconds="0.5",
            **_remote_settings(sim_url),
        )
        api, base = start_serve(env, "--workers", "0", log=logs / "api.log")  # migrates
        cluster = Cluster(env, base, tmp_path / "data", "")
        gateway = FaultGateway(cluster, api, "", "", sim_state, logs)
        try:
            gateway.start_worker()
            gateway.start_worker()
            account = new_account(database_url, base, credits=10_000 * MICROS)
            cluster.key, gateway.account_id = account.key, account.id
            gateway.test_key = on_db(
                database_url,
                lambda db: accounts.create_key(db, account=account.name, test=True),
            ).secret
            wait_answering(f"{sim_url}/_sim/requests", sim, logs / "simulator.log")
            yield gateway
        finally:
            gateway.close()


# -- the tasks ---------------------------------------------------------------------------------

#: (model, type, input): local renders paced to be mid-render when a worker dies, and image and
#: 3D models of every remote provider (cheap to render in the simulator).
LOCAL = [
    ("local-image", "image", {"width": 64, "height": 64, "render_seconds": 1.5}),
    ("local-audio", "audio", {"duration": 1, "render_seconds": 1}),
    ("local-video", "video", {"duration": 1, "width": 64, "height": 64, "render_seconds": 1}),
    ("local-3d", "model3d", {"render_seconds": 1}),
]
REMOTE = [
    ("seedream-4-0", "image", {"size": "1280x720"}),
    ("gemini-2.5-flash-image", "image", {"aspect_ratio": "16:9"}),
    ("kling-v2-1-image", "image", {"aspect_ratio": "3:2"}),
    ("viduq2-image", "image", {"aspect_ratio": "4:3"}),
    ("gpt-image-2", "image", {"size": "3:2"}),
    ("tripo-v2.5", "model3d", {}),
]


@dataclass
class Made:
    id: str
    prompt: str
    model: str
    type: str
    sandbox: bool

    @property
    def remote(self) -> bool:
        return not self.model.startswith("local-")


@dataclass
class Run:
    """The tasks made, and every (status, progress) clients saw of each, in order."""

    gateway: FaultGateway
    rng: random.Random
    made: list[Made] = field(default_factory=list)
    seen: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, count: int) -> None:
        """`count` tasks: local ones (live key), remote ones on the sandbox (test key) and on
        the simulator (live key), in turn; each prompt unique, to count its submits."""
        token = secrets.token_hex(3)
        for _ in range(count):
            kind = len(self.made) % 3
            model, task_type, extra = self.rng.choice(LOCAL if kind == 0 else REMOTE)
            sandbox = kind == 1
            prompt = f"fault {token} {len(self.made)} {model}"
            body = {"type": task_type, "model": model, "input": {"prompt": prompt, **extra}}
            task = self._request(
                "POST", "/api/v1/tasks", sandbox, json=body, headers={"Idempotency-Key": prompt}
            )
            self.made.append(Made(task["id"], prompt, model, task_type, sandbox))

    def _request(self, method: str, path: str, sandbox: bool, **kwargs: Any) -> dict[str, Any]:
        """The answer's `data`, as a client that retries gets it: through a moment of faults
        (no answer, or a 5xx), for up to 30 s; a create repeats its Idempotency-Key."""
        deadline = time.monotonic() + 30
        while True:
            with suppress(httpx.TransportError), self.gateway.client(sandbox=sandbox) as http:
                r = http.request(method, path, **kwargs)
                if r.status_code < 500:
                    assert r.status_code in (200, 202), r.text
                    return r.json()["data"]
            assert time.monotonic() < deadline, f"{method} {path} kept failing"
            time.sleep(0.2)

    def rng_sleep(self, low: float = 0.5, high: float = 1.5) -> None:
        """Let the tasks run a while (a random while: kills land at every stage)."""
        time.sleep(self.rng.uniform(low, high))

    def note(self, task: dict[str, Any]) -> None:
        state = (task["status"], task["progress"])
        with self._lock:
            history = self.seen.setdefault(task["id"], [])
            if not history or history[-1] != state:
                history.append(state)

    @contextmanager
    def sampling(self, every_s: float = 0.3) -> Iterator[None]:
        """Sample every task's status and progress from the listings (both keys), as a client
        watching a dashboard would, while the faults happen."""
        done = threading.Event()

        def loop() -> None:
            while not done.wait(every_s):
                for sandbox in (False, True):
                    with suppress(httpx.HTTPError, ValueError, KeyError):
                        self._sample(sandbox)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(30)

    def _sample(self, sandbox: bool) -> None:
        cursor = None
        with self.gateway.client(sandbox=sandbox) as http:
            while True:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                r = http.get("/api/v1/tasks", params=params, timeout=5)
                if r.status_code != 200:
                    return
                body = r.json()
                for task in body["data"]:
                    self.note(task)
                cursor = body["pagination"]["cursor"]
                if not body["pagination"]["hasMore"]:
                    return

    def wait_all(self, timeout: float) -> dict[str, dict[str, Any]]:
        """Every task's final object; fails naming the tasks still unfinished after `timeout`."""
        deadline = time.monotonic() + timeout
        finals: dict[str, dict[str, Any]] = {}
        while True:
            for task in self.made:
                if task.id not in finals:
                    got = self._request("GET", f"/api/v1/tasks/{task.id}", task.sandbox)
                    self.note(got)
                    if got["status"] in FINAL:
                        finals[task.id] = got
            if len(finals) == len(self.made):
                return finals
            stuck = [(t.id, t.model, self.seen[t.id][-1]) for t in self.made if t.id not in finals]
            assert time.monotonic() < deadline, f"{len(stuck)} tasks never ended: {stuck[:10]}"
            time.sleep(0.5)


def check_run(run: Run, finals: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """What clients must find after the faults: every task final (`finals`) and none lost (only
    a remote submit cut short may fail), none moved backwards (sampled, and in its events with
    exactly one final event), no paid provider job submitted twice, cost only on success,
    every result downloading and decoding, and the credits ledger consistent."""
    gateway = run.gateway
    assert len({t.id for t in run.made}) == len(run.made)  # one task per Idempotency-Key
    live_jobs = submits_per_prompt(gateway.sim_state)
    sandbox_jobs = submits_per_prompt(gateway.cluster.data_dir / "simulator")
    charged = 0
    succeeded = {"local": 0, "sandbox": 0, "live": 0}
    for task in run.made:
        final = finals[task.id]
        assert backward_moves(run.seen[task.id]) == [], (task, run.seen[task.id])
        with gateway.client(sandbox=task.sandbox) as http:
            events = http.get(f"/api/v1/tasks/{task.id}/events").json()["data"]
        timeline = [(e["data"]["status"], e["data"]["progress"]) for e in events]
        assert backward_moves(timeline) == [], (task, timeline)
        finals_seen = [e["type"] for e in events if e["data"]["status"] in FINAL]
        assert finals_seen == [f"task.{final['status']}"], (task, finals_seen)
        if task.remote:  # a paid provider never gets a second submit of one task
            jobs = (sandbox_jobs if task.sandbox else live_jobs).get(task.prompt, 0)
            assert jobs <= 1, (task, jobs)
            assert jobs == 1 or final["status"] != "succeeded", (task, jobs)
        if final["status"] != "succeeded":
            # Only a remote submit cut short may fail (rather than pay twice): nothing is lost.
            assert task.remote and final["error"]["code"] == "PROVIDER_ERROR", (task, final)
            assert final["cost"] == 0, final
            continue
        kind = "local" if not task.remote else "sandbox" if task.sandbox else "live"
        succeeded[kind] += 1
        assert (final["cost"] > 0) is not task.sandbox, final  # the sandbox is free
        charged += round(final["cost"] * MICROS)
        for index, item in enumerate(final["result"]):
            response = httpx.get(item["url"], timeout=30)
            assert response.status_code == 200, (task, response.status_code)
            path = tmp_path / f"{task.id}-{index}.{item['format']}"
            path.write_bytes(response.content)
            assert path.stat().st_size == item["size_bytes"]
            check_file(path, task.type)
    assert all(succeeded.values()), succeeded  # the faults left every kind of task working
    figures = check_ledger(gateway.url, gateway.account_id)
    assert figures["held"] == 0 and figures["charges"] == charged, figures
