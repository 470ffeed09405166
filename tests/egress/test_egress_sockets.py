"""The egress client over real sockets: a loopback server reached by a name that resolves to
it, names that do not resolve (`.invalid`), a DNS answer that changes after the check, and a
proxy from the environment."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mediagate.providers.egress import EgressPolicy, EgressRefused, egress_client

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class Loopback:
    """An HTTP server on 127.0.0.1 that records the request lines it gets and answers 200
    (`/moved` redirects to `localhost` on the same port)."""

    def __init__(self) -> None:
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                if self.path.endswith("/moved"):
                    self.send_response(302)
                    self.send_header("location", f"http://localhost:{port}/secret")
                    self.send_header("content-length", "0")
                else:
                    self.send_response(200)
                    self.send_header("content-length", "2")
                self.end_headers()
                if not self.path.endswith("/moved"):
                    self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    for name in PROXY_VARIABLES:  # direct connections unless a test sets a proxy
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    server = Loopback()
    yield server
    server.close()


def get(
    url: str, policy: EgressPolicy = EgressPolicy(), *, timeout: float = 5.0, **kwargs: object
) -> httpx.Response:
    async def run() -> httpx.Response:
        async with egress_client(policy, timeout=timeout, **kwargs) as client:
            return await client.get(url)

    return asyncio.run(run())


def test_a_name_resolving_to_loopback_is_refused_and_nothing_is_sent(loopback: Loopback) -> None:
    with pytest.raises(EgressRefused) as raised:
        get(f"http://localhost:{loopback.port}/private")
    message = raised.value.message
    assert message.startswith("localhost resolves to") and "loopback address" in message
    assert "MEDIAGATE_FETCH_PRIVATE_URLS" in message
    assert loopback.seen == []
    with pytest.raises(EgressRefused) as raised:
        get(f"http://127.0.0.1:{loopback.port}/private")
    assert raised.value.message.startswith("127.0.0.1 is a loopback address")
    assert loopback.seen == []


def test_allowed_private_addresses_and_configured_hosts_are_reached(loopback: Loopback) -> None:
    assert get(f"http://localhost:{loopback.port}/a", EgressPolicy(allow_private=True)).text == "ok"
    trusted = EgressPolicy(trusted_hosts=frozenset({"localhost"}))
    assert get(f"http://localhost:{loopback.port}/b", trusted).text == "ok"
    assert loopback.seen == ["/a", "/b"]


def test_a_redirect_to_a_private_name_is_refused_at_the_redirect(loopback: Loopback) -> None:
    trusted = EgressPolicy(trusted_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(EgressRefused) as raised:
        get(f"http://127.0.0.1:{loopback.port}/moved", trusted, follow_redirects=True)
    assert "localhost resolves to" in raised.value.message
    assert loopback.seen == ["/moved"]


@pytest.mark.parametrize("host", ["nothing-here.invalid", "mediagate-egress-test.invalid"])
def test_a_name_that_does_not_resolve_is_refused(host: str, loopback: Loopback) -> None:
    """Refused before any connection, whatever the DNS says (no such name, or no DNS at all):
    a refusal naming the host, or a transport error saying it was not resolved."""
    with pytest.raises((EgressRefused, httpx.ConnectError, httpx.ConnectTimeout)) as raised:
        get(f"http://{host}:{loopback.port}/x")
    assert host in str(raised.value)
    assert "resolve" in str(raised.value)


def test_the_address_connected_to_is_the_address_checked(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that answers a public address and then loopback. The name is
    resolved once; the connection goes to the checked (public, unreachable here) address and
    never to the loopback server. (A resolver that changes its answer cannot be had on this
    machine otherwise: the event loop's lookup is replaced.)"""
    answers: list[str] = []

    async def rebinding(self, host, port, *args, **kwargs):
        address = "192.88.98.1" if not answers else "127.0.0.1"  # public, then loopback
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding)
    with pytest.raises(httpx.TransportError):
        get(f"http://rebind.invalid:{loopback.port}/x", timeout=0.5)
    assert answers == ["192.88.98.1"]
    assert loopback.seen == []


def test_a_proxy_from_the_environment_is_used_and_the_target_still_checked(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy (here the loopback server, which answers proxied requests too) is connected
    to even on a private address; the target's name is checked first."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{loopback.port}")
    assert get("http://93.184.215.14/through-the-proxy").text == "ok"
    assert loopback.seen == ["http://93.184.215.14/through-the-proxy"]
    with pytest.raises(EgressRefused):
        get("http://10.1.2.3/internal")
    with pytest.raises((EgressRefused, httpx.ConnectError, httpx.ConnectTimeout)):
        get("http://nothing-here.invalid/x")
    assert len(loopback.seen) == 1


def test_a_name_that_resolves_slowly_is_refused(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DNS server that does not answer in time: no connection at all, and the error says
    why. (A slow resolver cannot be had on this machine otherwise: the lookup is replaced.)"""
    calls: list[str] = []

    async def slow(self, host, port, *args, **kwargs):
        calls.append(host)
        await asyncio.sleep(30)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", slow)
    policy = EgressPolicy(allow_private=False, resolve_timeout_s=0.2)
    with pytest.raises(httpx.ConnectTimeout) as raised:
        get(f"http://slow.invalid:{loopback.port}/x", policy)
    assert str(raised.value) == "slow.invalid did not resolve within 0.2 s; not connecting"
    assert calls == ["slow.invalid"] and loopback.seen == []
