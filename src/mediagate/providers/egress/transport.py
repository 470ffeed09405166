"""The HTTP client for URLs the gateway did not choose (input images, provider outputs, webhook
and callback URLs): the host is resolved once, every address checked, and the connection made
to a checked address, so a DNS answer that changes between check and connect changes nothing.

With a proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY; NO_PROXY honoured) the
proxy is what the gateway connects to, and it resolves the target itself: the target's name is
resolved and checked here first, but the proxy's own rules decide what it then reaches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpx._utils import get_environment_proxies  # httpx's reading of the proxy variables

from mediagate.providers.egress.resolver import EgressPolicy, checked_addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects to a host's checked addresses, in the resolver's order, first that answers."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self.policy, timeout)
        failure: Exception | None = None
        for ip in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the egress client connects to TCP hosts only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class EgressTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting through `CheckedBackend`; through a proxy, the target's
    name is checked before each request instead (the proxy connects to it)."""

    def __init__(self, policy: EgressPolicy, *, proxy: str | None = None, **kwargs: Any) -> None:
        super().__init__(proxy=proxy, **kwargs)
        self.policy = policy
        self.proxied = proxy is not None
        if not self.proxied:
            # httpx 0.28 takes no network backend: set the one of its connection pool.
            self._pool._network_backend = CheckedBackend(policy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.proxied:
            url = request.url
            port = url.port or (443 if url.scheme == "https" else 80)
            await checked_addresses(url.host, port, self.policy)
        return await super().handle_async_request(request)


def egress_client(policy: EgressPolicy, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client (`kwargs` as httpx's) whose every connection follows `policy`;
    redirects included, each hop being a request of its own."""
    if policy.allow_private:
        return httpx.AsyncClient(**kwargs)  # httpx's own, proxies from the environment too
    limits = kwargs.pop("limits", httpx.Limits(max_connections=100, max_keepalive_connections=20))
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for pattern, proxy in get_environment_proxies().items():
        proxied = EgressTransport(policy, proxy=proxy, limits=limits) if proxy else None
        mounts[pattern] = proxied  # None: NO_PROXY, the direct transport
    return httpx.AsyncClient(
        transport=EgressTransport(policy, limits=limits), mounts=mounts, **kwargs
    )
