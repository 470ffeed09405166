"""Hosts for the multi-host test: network namespaces on one private subnet, joined by a bridge
that lives in a namespace of its own, so nothing of the test appears in the machine's own
network namespace. Everything is removed on `close()`, processes included."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field

#: The test's private subnet. Its addresses exist only inside the namespaces the test makes.
SUBNET = "10.77.0"
#: Every namespace of a run is named `<PREFIX><pytest pid>-<random>-<host>`.
PREFIX = "mgdeploy"
_NAME = re.compile(rf"{PREFIX}(\d+)-[0-9a-f]+-")


class NetnsUnavailable(Exception):
    """Network namespaces cannot be made here (not root, or `ip netns add` refused)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def namespaces_available() -> str | None:
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root (the multi-host test runs as root in CI)"
    probe = f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}-probe"
    try:
        made = _ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "the `ip` command (iproute2) is not installed"
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def sweep_leftovers() -> None:
    """Remove the namespaces of earlier runs whose pytest process is gone (a run killed before
    its clean-up), with whatever still runs in them."""
    listed = _ip("netns", "list", check=False).stdout.split("\n")
    for line in listed:
        name = line.split(" ")[0]
        match = _NAME.match(name)
        if match is None:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(match.group(1)), 0)
            continue  # its run is alive: not ours to touch
        kill_all(name)
        _ip("netns", "del", name, check=False)


def pids_in(namespace: str) -> list[int]:
    out = _ip("netns", "pids", namespace, check=False).stdout
    return [int(p) for p in out.split()]


def kill_all(namespace: str) -> list[int]:
    """SIGKILL every process in `namespace` (a host losing its power); the pids killed."""
    pids = pids_in(namespace)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pids_in(namespace) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids


@dataclass
class Host:
    name: str
    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Network:
    """Hosts on `SUBNET.0/24`, each with its own namespace, `eth0` on one bridge."""

    run_id: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}")
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def bridge_namespace(self) -> str:
        return f"{self.run_id}-net"

    def open(self) -> None:
        try:
            _ip("netns", "add", self.bridge_namespace)
        except subprocess.CalledProcessError as exc:
            raise NetnsUnavailable(f"`ip netns add` failed: {exc.stderr.strip()}") from None
        net = self.bridge_namespace
        _ip("-n", net, "link", "add", "br0", "type", "bridge")
        _ip("-n", net, "link", "set", "br0", "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        namespace = f"{self.run_id}-{name}"
        address = f"{SUBNET}.{last_octet}"
        net = self.bridge_namespace
        _ip("netns", "add", namespace)
        host = self.hosts[name] = Host(name, namespace, address)
        port = f"p{last_octet}"  # the bridge's end of the host's cable
        _ip("-n", net, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
            namespace)  # fmt: skip
        _ip("-n", net, "link", "set", port, "master", "br0", "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        return host

    def close(self) -> None:
        """Kill every process of every host, then delete the namespaces (and with them the
        links and the bridge)."""
        for host in self.hosts.values():
            kill_all(host.namespace)
        for namespace in [*(h.namespace for h in self.hosts.values()), self.bridge_namespace]:
            _ip("netns", "del", namespace, check=False)
