"""Fetching URLs that clients gave (input images an adapter must download and inline): only
from public addresses, unless the operator allows private ones (`MEDIAGATE_FETCH_PRIVATE_URLS`).

Every request the client sends is checked, redirects included: the host is resolved and any
loopback, private, link-local, reserved or otherwise non-global address refuses the request
with INVALID_INPUT, before a connection is made. (The address is resolved again when httpx
connects, so a DNS server that answers differently the second time is not stopped by this.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from mediagate.core.errors import InvalidParameter
from mediagate.providers.base import ProviderError

ALLOW_SETTING = "MEDIAGATE_FETCH_PRIVATE_URLS"
RESOLVE_TIMEOUT_S = 10.0


def _addresses(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return []


async def _resolve(host: str, port: int) -> list[str]:
    literal = _addresses(host)
    if literal:
        return literal
    lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    try:
        infos = await asyncio.wait_for(lookup, RESOLVE_TIMEOUT_S)
    except (OSError, TimeoutError):
        return []  # httpx reports the failure to resolve when it connects
    return [str(info[4][0]) for info in infos]


async def private_address(url: httpx.URL) -> str | None:
    """The first loopback, private, link-local, reserved or otherwise non-global address the
    host of `url` resolves to; None when it has none (or does not resolve)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    for address in await _resolve(url.host, port):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            return str(ip)
    return None


async def check_public_url(url: str, param: str) -> None:
    """400 naming `param` when the host of `url` (a webhook URL a client registers) resolves to
    a loopback, private, link-local or metadata address; the caller skips it when the operator
    allows private URLs."""
    address = await private_address(httpx.URL(url))
    if address is not None:
        raise InvalidParameter(
            param,
            f"resolves to {address}, a loopback, private, link-local or metadata address; "
            f"webhooks are sent only to public addresses ({ALLOW_SETTING}=true allows others)",
        )


async def refuse_private(request: httpx.Request) -> None:
    """An httpx request hook: raise INVALID_INPUT for a host with a non-public address."""
    url = request.url
    ip = await private_address(url)
    if ip is not None:
        raise ProviderError(
            "INVALID_INPUT",
            f"the URL {url.copy_with(query=None)} points to {ip}, a private or local "
            f"address; the gateway fetches only public URLs ({ALLOW_SETTING}=true allows "
            "private ones)",
        )


def untrusted_url_client(
    *,
    allow_private: bool,
    timeout: httpx.Timeout,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for URLs from clients: redirects followed, each hop checked."""
    hooks = {} if allow_private else {"request": [refuse_private]}
    return httpx.AsyncClient(
        timeout=timeout, follow_redirects=True, event_hooks=hooks, transport=transport
    )
