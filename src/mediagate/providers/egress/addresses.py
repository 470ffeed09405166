"""Which addresses the gateway may connect to for a URL it did not choose itself: only public
ones. IPv6 forms that carry an IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4)
are judged by the IPv4 address they lead to; Teredo ones are refused."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V6 = ipaddress.IPv6Network
_V4 = ipaddress.IPv4Network
#: IPv6 prefixes whose last 32 bits are the IPv4 address connected to in the end.
_TAIL_V4 = (
    _V6("::ffff:0:0/96"),  # IPv4-mapped
    _V6("::/96"),  # IPv4-compatible (deprecated); :: and ::1 become 0.0.0.0 and 0.0.0.1
    _V6("64:ff9b::/96"),  # NAT64, well-known prefix
)
_SIX_TO_FOUR = _V6("2002::/16")
_TEREDO = _V6("2001::/32")
#: Refused although Python's `is_global` (3.11) may call them global: multicast, and the blocks
#: that are not globally reachable by the IANA special-purpose registries. Whole blocks: the
#: few globally reachable addresses inside them are never worth the exception.
_ALSO_REFUSED: tuple[_V4 | _V6, ...] = (
    _V4("0.0.0.0/8"),
    _V4("100.64.0.0/10"),
    _V4("192.0.0.0/24"),
    _V4("192.88.99.0/24"),  # 6to4 relays (deprecated)
    _V4("198.18.0.0/15"),
    _V4("224.0.0.0/4"),
    _V4("240.0.0.0/4"),
    _V6("64:ff9b:1::/48"),  # NAT64 for local use: a translator of the operator's network
    _V6("100::/64"),
    _V6("100:0:0:1::/64"),
    _V6("2001::/23"),
    _V6("2001:db8::/32"),
    _V6("3fff::/20"),
    _V6("5f00::/16"),
    _V6("fc00::/7"),
    _V6("fe80::/10"),
    _V6("fec0::/10"),
    _V6("ff00::/8"),
)


def parse_address(text: str) -> IPAddress | None:
    """`text` as an IP address (brackets and an IPv6 zone allowed), None if it is not one."""
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address leads to."""
    if any(ip in net for net in _TAIL_V4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why the gateway must not connect to `ip` (a few words), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _TEREDO:  # a tunnel to whatever its client address is: never needed
            return "a Teredo address"
        inner = embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner)
            return None if why is None else f"{why} ({inner})"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        return "a private address"
    also = (net for net in _ALSO_REFUSED if net.version == ip.version)
    if ip.is_reserved or not ip.is_global or any(ip in net for net in also):
        return "a reserved address"
    return None
