"""The layout of docs/deployment.md on hosts made of network namespaces: a PostgreSQL host, an
S3 host (moto_server), a provider host (`mediagate simulator`), two API hosts
(`serve --workers 0`), two worker hosts (`mediagate worker`) and a client host. Each mediagate
host has a data directory of its own: nothing is shared but the database and the bucket."""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from netns_support import Host, Network, kill_all, sweep_leftovers

from helpers import cli_env
from mediagate.providers.registry import remote_classes
from mediagate.simulator import SIM_CREDENTIALS

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "deploy_client.py"
PG_PORT, S3_PORT, SIM_PORT, API_PORT = 5432, 5000, 8900, 8000
BUCKET = "mediagate-results"
#: Providers whose tasks keep files in a worker's data directory from one step to the next,
#: and the worker host that leaves them to the other.
FILE_KEEPING = ("local", "gemini")
PINNED_ELSEWHERE = "w2"
#: Every interface of the test, by host: (name, last octet of its address).
LAYOUT = [("db", 2), ("s3", 3), ("sim", 4), ("api1", 11), ("api2", 12), ("w1", 21), ("w2", 22),
          ("client", 30)]  # fmt: skip

# moto's S3 server as a plain process (the same entry point as `moto_server`).
_MOTO = "import sys\nfrom moto.server import main\nmain(sys.argv[1:])\n"

# Test instrumentation on the test's own server: every lease a worker takes, with the address
# of the host whose connection took it (so the test knows which host ran which task's steps).
LEASE_LOG_SQL = """
CREATE TABLE deploy_test_leases (
    task_id text NOT NULL, owner text NOT NULL, addr inet,
    at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION deploy_test_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deploy_test_leases (task_id, owner, addr)
    VALUES (NEW.id, NEW.lease_owner, inet_client_addr());
    RETURN NULL;
END $$;
CREATE TRIGGER deploy_test_lease AFTER UPDATE OF lease_owner ON tasks FOR EACH ROW
    WHEN (NEW.lease_owner IS NOT NULL AND NEW.lease_owner IS DISTINCT FROM OLD.lease_owner)
    EXECUTE FUNCTION deploy_test_lease();
"""


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's layout)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _quiet_env(env: dict[str, str]) -> dict[str, str]:
    """No proxy variables: every address of the test is on its private subnet."""
    return {k: v for k, v in env.items() if not k.lower().endswith("_proxy")}


@dataclass
class Deployment:
    network: Network
    work: Path
    pg_dir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, IO[bytes]] = field(default_factory=dict)
    key: str = ""
    test_key: str = ""

    def host(self, name: str) -> Host:
        return self.network.hosts[name]

    def url(self, name: str, port: int) -> str:
        return f"http://{self.host(name).address}:{port}"

    @property
    def apis(self) -> list[str]:
        return [self.url("api1", API_PORT), self.url("api2", API_PORT)]

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@{self.host('db').address}:{PG_PORT}/mediagate"

    def env(self, host: str) -> dict[str, str]:
        """The settings of a mediagate host: one database, one bucket, the providers (pointed
        at the simulator host with its credentials), and a data directory of its own."""
        sim = self.url("sim", SIM_PORT)
        settings = {
            "database_url": self.database_url,
            "data_dir": str(self.work / host / "data"),
            "s3_bucket": BUCKET,
            "s3_endpoint_url": self.url("s3", S3_PORT),
            "s3_region": "us-east-1",
            "s3_access_key_id": "deploy",
            "s3_secret_access_key": "deploy-secret",
            "lease_seconds": "3",
            "idle_poll_seconds": "0.5",
            "provider_timeout_seconds": "6",
            "sse_heartbeat_seconds": "1",
            # The sandbox on the simulator host, so any worker can poll any sandbox job.
            "sandbox_simulator_url": sim,
        }
        if host == PINNED_ELSEWHERE:
            # Providers that keep files in the data directory between steps run on one
            # worker host: this one never claims their tasks.
            settings["provider_concurrency"] = json.dumps(dict.fromkeys(FILE_KEEPING, 0))
        for name, cls in remote_classes().items():
            settings[f"{name}_base_url"] = sim + httpx.URL(cls.default_base_url).path.rstrip("/")
            for credential in cls.credential_names:
                settings[f"{name}_{credential}"] = SIM_CREDENTIALS[name][credential]
        return _quiet_env(cli_env(**settings))

    # Processes.

    def start(self, name: str, host: str, argv: list[str], env: dict[str, str]) -> None:
        """A long-running process on `host`, its output kept in a log file."""
        log = self.logs[name] = open(self.work / f"{name}.log", "w+b")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            self.host(host).command(*argv), env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def run(self, host: str, argv: list[str], *, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:  # fmt: skip
        proc = subprocess.run(
            self.host(host).command(*argv),
            env=env if env is not None else _quiet_env(dict(os.environ)),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert proc.returncode == 0, f"{argv} on {host}: {proc.stdout}\n{proc.stderr}"
        return proc

    def mediagate(self, host: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "mediagate", *args]

    def client(self, command: str, args: dict[str, Any], *, host: str = "client") -> Any:
        """Run a command of deploy_client.py on `host`; its JSON answer."""
        proc = subprocess.run(
            self.host(host).command(sys.executable, str(CLIENT), command),
            input=json.dumps(args),
            env=_quiet_env(dict(os.environ)),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == 0, f"{command}: {proc.stdout}\n{proc.stderr}\n{self.tail()}"
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def psql(self, sql: str) -> list[list[str]]:
        """Rows of `sql` on the test's database (run on the database host)."""
        bin_dir = postgres_bin()
        assert bin_dir is not None
        proc = self.run(
            "db",
            [
                str(bin_dir / "psql"),
                "-h",
                self.host("db").address,
                "-p",
                str(PG_PORT),
                "-U",
                "postgres",
                "-d",
                "mediagate",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-F",
                "\t",
                "-c",
                sql,
            ],
        )
        return [line.split("\t") for line in proc.stdout.splitlines() if line]

    def kill_host(self, host: str) -> list[int]:
        """SIGKILL every process on `host`, as if it lost its power."""
        pids = kill_all(self.host(host).namespace)
        for name, proc in self.procs.items():
            if name.startswith(host):
                proc.wait(10)
        return pids

    def tail(self, lines: int = 25) -> str:
        """The end of each process's log, to explain a failure."""
        parts = []
        for name, log in self.logs.items():
            log.flush()
            text = (self.work / f"{name}.log").read_text(errors="replace").splitlines()
            parts.append(f"--- {name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    # The hosts, in the order an operator brings them up.

    def start_postgres(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None
        pw = pwd.getpwnam("postgres")
        os.chown(self.pg_dir, pw.pw_uid, pw.pw_gid)
        data = self.pg_dir / "data"
        as_postgres = ["runuser", "-u", "postgres", "--"]
        self.run("db", [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                        "-U", "postgres", "--no-sync"])  # fmt: skip
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '{self.host('db').address}'\nport = {PG_PORT}\n"
                f"unix_socket_directories = '{self.pg_dir}'\nmax_connections = 200\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {self.host('db').address.rsplit('.', 1)[0]}.0/24 trust\n")
        self.run("db", [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                        str(self.pg_dir / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip
        self.run("db", [str(bin_dir / "psql"), "-h", self.host("db").address, "-U", "postgres",
                        "-d", "postgres", "-c", "CREATE DATABASE mediagate"])  # fmt: skip

    def stop_postgres(self) -> None:
        bin_dir = postgres_bin()
        data = self.pg_dir / "data"
        if bin_dir is None or not (data / "postmaster.pid").exists():
            return
        with contextlib.suppress(Exception):
            subprocess.run(
                self.host("db").command("runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"),
                                        "-D", str(data), "-m", "immediate", "stop"),
                capture_output=True, timeout=30,
            )  # fmt: skip

    def start_services(self) -> None:
        """The object store and the providers (the simulator), then wait for both."""
        s3 = self.host("s3").address
        self.start("s3", "s3", [sys.executable, "-c", _MOTO, "-H", s3, "-p", str(S3_PORT)],
                   _quiet_env(dict(os.environ)))  # fmt: skip
        sim = self.host("sim").address
        self.start(
            "sim",
            "sim",
            [
                sys.executable,
                "-m",
                "mediagate",
                "simulator",
                "--host",
                sim,
                "--port",
                str(SIM_PORT),
                "--state-dir",
                str(self.work / "sim"),
                "--queue-seconds",
                "0.5",
                "--run-seconds",
                "1.5",
            ],
            _quiet_env(cli_env()),
        )
        self.client("ready", {"urls": [f"{self.url('s3', S3_PORT)}/moto-api/",
                                       f"{self.url('sim', SIM_PORT)}/_sim/requests"]})  # fmt: skip
        self.client("bucket", {"endpoint": self.url("s3", S3_PORT), "bucket": BUCKET})

    def upgrade_twice(self) -> list[subprocess.CompletedProcess]:
        """`mediagate db upgrade` from both API hosts at once (the advisory lock serialises
        them)."""
        procs = [
            subprocess.Popen(
                self.host(h).command(*self.mediagate(h, "db", "upgrade")),
                env=self.env(h),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for h in ("api1", "api2")
        ]
        done = []
        for proc in procs:
            out, errors = proc.communicate(timeout=120)
            done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, errors))
        return done

    def start_apis(self) -> None:
        for name in ("api1", "api2"):
            self.start(
                name,
                name,
                self.mediagate(
                    name,
                    "serve",
                    "--workers",
                    "0",
                    "--host",
                    self.host(name).address,
                    "--port",
                    str(API_PORT),
                ),
                self.env(name),
            )
        self.client("ready", {"urls": [f"{api}/healthz" for api in self.apis]})

    def start_workers(self) -> None:
        for name in ("w1", "w2"):
            self.start(name, name, self.mediagate(name, "worker", "--workers", "2"),
                       self.env(name))  # fmt: skip

    def make_keys(self) -> None:
        """A live and a sandbox key of one account (made on an API host, as an operator
        would)."""
        for attr, extra in (("key", []), ("test_key", ["--test"])):
            argv = self.mediagate("api1", "keys", "create", "--account", "team", *extra)
            out = self.run("api1", argv, env=self.env("api1")).stdout
            setattr(self, attr, out.strip().splitlines()[-1])

    def close(self) -> None:
        self.stop_postgres()
        self.network.close()
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        for log in self.logs.values():
            log.close()
        shutil.rmtree(self.pg_dir, ignore_errors=True)


@contextlib.contextmanager
def deployment(work: Path) -> Iterator[Deployment]:
    """The network and its hosts (nothing started yet); everything removed afterwards, even
    when the test fails halfway."""
    sweep_leftovers()
    network = Network()
    pg_dir = Path(tempfile.mkdtemp(prefix=f"{network.run_id}-pg-"))  # postgres must own it
    os.chmod(pg_dir, 0o700)
    deploy = Deployment(network, work, pg_dir)
    try:
        network.open()
        for name, octet in LAYOUT:
            network.add_host(name, octet)
            (work / name).mkdir(parents=True, exist_ok=True)
        yield deploy
    finally:
        deploy.close()


def postgres_user_exists() -> bool:
    try:
        pwd.getpwnam("postgres")
        grp.getgrnam("postgres")
    except KeyError:
        return False
    return True


def wait_until(predicate: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)
    return value
