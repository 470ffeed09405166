"""URLs from clients (input images, callback and webhook URLs), parsed by the parser that later
requests them (httpx's): a URL accepted here is one the gateway can connect to by name or
address, and anything else is refused when it is given, naming what is wrong."""

from __future__ import annotations

import ipaddress
import re

import httpx

#: One label of a host name once IDNA-encoded (underscores allowed: some hosts have them).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
_HOST_MAX = 253


def _host_problem(url: httpx.URL) -> str | None:
    try:
        host = url.raw_host.decode("ascii").lower().removesuffix(".")
        if not url.host:
            return "has no host"
        ipaddress.ip_address(url.host)
        return None
    except UnicodeError:  # an IDNA label that does not decode
        return "has a host name that is not valid"
    except ValueError:  # not an address: a name
        pass
    labels = host.split(".")
    if len(host) > _HOST_MAX or not all(_LABEL.match(label) for label in labels):
        return "has a host name that is not valid"
    if labels[-1].isdigit():  # 1.2.3, 2130706433: an address in a form resolvers disagree on
        return "has a host that is neither a name nor an IP address in dotted or IPv6 form"
    return None


def http_url(value: str, *, max_length: int = 4096) -> httpx.URL:
    """`value` parsed as an absolute http(s) URL; ValueError saying what is wrong."""
    if len(value) > max_length:
        raise ValueError(f"must be a URL of at most {max_length} characters")
    if not value.isprintable() or any(c.isspace() for c in value):
        raise ValueError("must not contain spaces or control characters")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, UnicodeError) as exc:  # IDNA errors are UnicodeErrors
        raise ValueError(f"is not a valid URL ({_short(exc)})") from None
    if url.scheme not in ("http", "https") or not url.is_absolute_url:
        raise ValueError("must be an absolute http:// or https:// URL")
    problem = _host_problem(url)
    if problem is not None:
        raise ValueError(problem)
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError("has an invalid port")
    return url


def _short(exc: Exception, limit: int = 120) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
