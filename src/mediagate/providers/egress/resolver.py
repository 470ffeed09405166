"""Resolving a host once and keeping only addresses the gateway may connect to: fail closed (a
name that does not resolve, or not in time, is refused like a private one)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import httpcore

from mediagate.providers.base import ProviderError
from mediagate.providers.egress.addresses import IPAddress, parse_address, refusal

ALLOW_SETTING = "MEDIAGATE_FETCH_PRIVATE_URLS"
#: The longest wait for a name to resolve (less when the request's connect timeout is less).
RESOLVE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class EgressPolicy:
    """What the gateway may connect to for URLs it did not choose (clients', providers').

    `allow_private`: every address (the operator's `MEDIAGATE_FETCH_PRIVATE_URLS`);
    `trusted_hosts`: host names the operator configured (providers' base URLs), connected to
    whatever they resolve to."""

    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()
    resolve_timeout_s: float = RESOLVE_TIMEOUT_S


class EgressRefused(ProviderError):
    """The gateway will not connect there: a non-public address or a name that does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__("INVALID_INPUT", message)


def refused_message(host: str, ip: IPAddress, why: str) -> str:
    shown = f"{host} is" if parse_address(host) == ip else f"{host} resolves to {ip}, which is"
    return (
        f"{shown} {why}, not a public address; the gateway connects only to public "
        f"addresses ({ALLOW_SETTING}=true allows private ones)"
    )


async def resolve(host: str, port: int, timeout_s: float) -> list[IPAddress]:
    """Every address of `host` (itself when it is an address). A name that does not exist
    raises EgressRefused; one that cannot be resolved now (a DNS failure, `timeout_s` passed)
    raises httpcore.ConnectError / ConnectTimeout, a transport error callers retry."""
    literal = parse_address(host)
    if literal is not None:
        return [literal]
    lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    try:
        infos = await asyncio.wait_for(lookup, timeout_s)
    except TimeoutError:
        raise httpcore.ConnectTimeout(
            f"{host} did not resolve within {timeout_s:g} s; not connecting"
        ) from None
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise EgressRefused(f"{host} does not resolve to any address") from None
        raise httpcore.ConnectError(
            f"{host} could not be resolved ({exc.strerror}); not connecting"
        ) from None
    except OSError as exc:
        message = f"{host} could not be resolved ({exc}); not connecting"
        raise httpcore.ConnectError(message) from None
    found = [parse_address(str(info[4][0])) for info in infos]
    addresses = list(dict.fromkeys(a for a in found if a is not None))
    if not addresses:
        raise EgressRefused(f"{host} does not resolve to any address")
    return addresses


async def checked_addresses(
    host: str, port: int, policy: EgressPolicy, timeout_s: float | None = None
) -> list[IPAddress]:
    """The addresses of `host` to connect to, each allowed by `policy`; EgressRefused when any
    is not (a name with one private address among public ones is refused whole)."""
    limit = min(timeout_s or policy.resolve_timeout_s, policy.resolve_timeout_s)
    addresses = await resolve(host, port, limit)
    if policy.allow_private or host.lower() in policy.trusted_hosts:
        return addresses
    for ip in addresses:
        why = refusal(ip)
        if why is not None:
            raise EgressRefused(refused_message(host, ip, why))
    return addresses
