"""Property tests of the egress check and the URL parser (Hypothesis).

The check is compared with an independent statement of the rule, written from the IANA
special-purpose address registries: an address is allowed iff it is a global unicast address
outside every block those registries mark as not globally reachable (whole blocks: the few
reachable exceptions inside them are refused too), and an IPv6 address that carries an IPv4
address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4) is allowed iff that IPv4
address is."""

from __future__ import annotations

import asyncio
import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mediagate.catalog import CATALOG
from mediagate.core.errors import InvalidParameter
from mediagate.core.urls import http_url
from mediagate.providers.egress import EgressPolicy, EgressRefused, checked_addresses, refusal
from mediagate.tasks.service import validation_param

# -- the rule, from the registries ---------------------------------------------------------

#: IPv4 blocks that are not globally reachable (and multicast, and the limited broadcast).
NOT_REACHABLE_V4 = [
    IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "255.255.255.255/32",
    )
]  # fmt: skip
#: IPv6: only global unicast space (2000::/3) is ever reachable; inside it, these are not.
GLOBAL_UNICAST = IPv6Network("2000::/3")
NOT_REACHABLE_V6 = [
    IPv6Network(n) for n in ("2001::/23", "2001:db8::/32", "3fff::/20")
]  # fmt: skip
#: IPv6 prefixes carrying an IPv4 address in their last 32 bits.
CARRIES_V4_AT_END = [IPv6Network(n) for n in ("::ffff:0:0/96", "::/96", "64:ff9b::/96")]
SIX_TO_FOUR = IPv6Network("2002::/16")


def carried_ipv4(ip: IPv6Address) -> IPv4Address | None:
    for net in CARRIES_V4_AT_END:
        if ip in net:
            return IPv4Address(int(ip) - int(net.network_address))
    if ip in SIX_TO_FOUR:
        return IPv4Address(ip.packed[2:6])
    return None


def allowed(ip: IPv4Address | IPv6Address) -> bool:
    if isinstance(ip, IPv4Address):
        return not any(ip in net for net in NOT_REACHABLE_V4)
    inner = carried_ipv4(ip)
    if inner is not None:
        return allowed(inner)
    return ip in GLOBAL_UNICAST and not any(ip in net for net in NOT_REACHABLE_V6)


# -- addresses worth trying ---------------------------------------------------------------

V4_BLOCKS = [
    *NOT_REACHABLE_V4,
    *(IPv4Network(n) for n in ("8.8.8.0/24", "93.184.0.0/16", "192.0.0.0/16", "192.31.196.0/24",
                               "192.52.193.0/24", "192.175.48.0/24", "223.255.255.0/24")),
]  # fmt: skip
V6_BLOCKS = [
    *NOT_REACHABLE_V6,
    *CARRIES_V4_AT_END,
    SIX_TO_FOUR,
    *(
        IPv6Network(n)
        for n in (
            "::/120", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/32",
            "2001:1::/112", "2001:20::/28", "2400::/12", "2606:4700::/32", "2620:4f:8000::/48",
            "3ffe::/16", "4000::/3", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10",
            "ff00::/8", "ff02::/112",
        )
    ),
]  # fmt: skip


def _in(net: IPv4Network | IPv6Network) -> st.SearchStrategy:
    return st.integers(0, net.num_addresses - 1).map(lambda i: net[i])


ipv4 = st.one_of(
    st.integers(0, 2**32 - 1).map(IPv4Address), st.sampled_from(V4_BLOCKS).flatmap(_in)
)
ipv6 = st.one_of(
    st.integers(0, 2**128 - 1).map(IPv6Address), st.sampled_from(V6_BLOCKS).flatmap(_in)
)


def _embeddings(v4: IPv4Address) -> list[IPv6Address]:
    """`v4` in every IPv6 form that carries it (6to4 with an arbitrary subnet and host)."""
    forms = [IPv6Address(int(net.network_address) + int(v4)) for net in CARRIES_V4_AT_END]
    forms.append(IPv6Address(b"\x20\x02" + v4.packed + b"\x00" * 9 + b"\x01"))
    return forms


embedded = st.builds(
    lambda v4, which: _embeddings(v4)[which], ipv4, st.integers(0, len(CARRIES_V4_AT_END))
)
any_address = st.one_of(ipv4, ipv6, embedded)


# -- the check against the rule ------------------------------------------------------------


@given(any_address)
@example(IPv6Address("::127.0.0.1"))
@example(IPv6Address("::ffff:169.254.169.254"))
@example(IPv6Address("64:ff9b::10.0.0.1"))
@example(IPv6Address("64:ff9b::8.8.8.8"))
@example(IPv6Address("2002:7f00:1::1"))
@example(IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))  # Teredo
@example(IPv6Address("ff0e::1"))
@example(IPv4Address("224.0.0.251"))
@example(IPv4Address("192.0.0.9"))
@example(IPv6Address("2001:1::1"))
def test_an_address_is_allowed_iff_the_registries_say_it_is_reachable(ip) -> None:
    assert (refusal(ip) is None) == allowed(ip), (str(ip), refusal(ip))


@given(embedded)
def test_an_embedded_ipv4_address_is_judged_as_itself(ip: IPv6Address) -> None:
    inner = carried_ipv4(ip)
    assert inner is not None
    assert (refusal(ip) is None) == (refusal(inner) is None)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(any_address, st.booleans())
def test_a_literal_address_in_a_url_host_is_checked_the_same(ip, bracket: bool) -> None:
    """What the transport does with a host that is an address: no DNS, the same decision."""
    host = f"[{ip}]" if bracket and ip.version == 6 else str(ip)

    async def check() -> bool:
        try:
            await checked_addresses(host, 443, EgressPolicy())
        except EgressRefused as exc:
            assert str(ip) in exc.message and "MEDIAGATE_FETCH_PRIVATE_URLS" in exc.message
            return False
        return True

    assert asyncio.run(check()) == allowed(ip)


@given(any_address)
def test_allowing_private_addresses_allows_every_address(ip) -> None:
    assert asyncio.run(checked_addresses(str(ip), 80, EgressPolicy(allow_private=True))) == [
        ipaddress.ip_address(ip)
    ]


# -- the URL parser ------------------------------------------------------------------------

_host_parts = st.sampled_from([*"abcxyz019.-_:[]@%ÿé€ \t/?#\\", "xn--", "0x7f", "::1", "ff"])
url_like = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:/", "data:", ""]),
    st.one_of(st.lists(_host_parts, max_size=12).map("".join), st.text(max_size=30)),
    st.one_of(st.just(""), st.integers(-5, 100_000).map(lambda p: f":{p}"), st.text(max_size=6)),
    st.one_of(st.just("/x.png"), st.text(max_size=20)),
)


def _parsed_or_refused(value: str) -> httpx.URL | None:
    try:
        return http_url(value)
    except ValueError as exc:
        assert str(exc)  # says what is wrong
        return None


@settings(max_examples=400)
@given(st.one_of(st.text(), url_like))
@example("http://0177.0.0.1:99999/x.png")
@example("http://xn--zz/x")
@example("http://[::1/x")
@example("http://1.2.3/x")
@example("http://a b/x")
def test_any_text_is_a_clean_url_or_a_clean_refusal(value: str) -> None:
    url = _parsed_or_refused(value)
    if url is not None:  # the gateway can request it as it was given
        request = httpx.Request("GET", value)
        assert request.url.scheme in ("http", "https") and request.url.host
        assert url.port is None or 0 < url.port < 65536


@pytest.mark.parametrize(
    "value",
    [
        "http://0177.0.0.1:99999/x.png",
        "http://0177.0.0.1/x.png",
        "http://example.com:99999/x.png",
        "http://example.com:0/x.png",
        "http://exa mple.com/x.png",
        "http:///x.png",
        "http://[::1/x.png",
        "http://xn--zz/x.png",
        "http://2130706433/x.png",
        "http://1.2.3/x.png",
        "http://-bad-.example/x.png",
        "ftp://example.com/x.png",
    ],
)
def test_urls_httpx_cannot_request_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        http_url(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://cdn.example.com/a/b.png?sig=x%20y&t=1",
        "http://93.184.215.14:8080/x.png",
        "http://[2606:4700::1]/x.png",
        "https://bücher.example/x.png",
        "https://user:pw@example.com/x.png",
    ],
)
def test_ordinary_urls_are_accepted(value: str) -> None:
    assert http_url(value).host


GEMINI_IMAGE = CATALOG.get("gemini-2.5-flash-image")


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=60), url_like))
def test_an_image_input_is_accepted_or_refused_as_input_image(value: str) -> None:
    """Through the model's input schema and the task service's error: INVALID_PARAMETER naming
    `input.image`, never another exception."""
    assert GEMINI_IMAGE is not None
    try:
        GEMINI_IMAGE.input_model.model_validate({"prompt": "p", "image": value})
    except ValidationError as exc:
        error = validation_param(exc, "input")
        assert isinstance(error, InvalidParameter)
        assert error.param == "input.image" and error.code == "INVALID_PARAMETER"
