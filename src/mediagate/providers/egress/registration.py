"""The check of a webhook or callback URL when a client registers it: a 400 at once for an
address the gateway will not send to. Delivery checks again, on the address it connects to."""

from __future__ import annotations

import httpcore
import httpx

from mediagate.core.errors import InvalidParameter
from mediagate.providers.egress.addresses import refusal
from mediagate.providers.egress.resolver import (
    EgressRefused,
    refused_message,
    resolve,
)

#: Registration waits at most this long for a name (a slow one is left to delivery).
REGISTER_RESOLVE_S = 5.0


async def check_public_url(url: str, param: str) -> None:
    """400 naming `param` when the host of `url` resolves to a loopback, private, link-local,
    multicast or otherwise non-public address, or does not exist; the caller skips it when the
    operator allows private URLs."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = await resolve(parsed.host, port, REGISTER_RESOLVE_S)
    except EgressRefused as exc:
        raise InvalidParameter(param, exc.message) from None
    except (httpcore.ConnectError, httpcore.ConnectTimeout):  # DNS down or slow: delivery decides
        return
    for ip in addresses:
        why = refusal(ip)
        if why is not None:
            raise InvalidParameter(param, refused_message(parsed.host, ip, why))
