"""Properties of the Host header check (`MEDIAGATE_ALLOWED_HOSTS`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mediagate.api.hosts import allowed, host_name

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
domain = st.lists(label, min_size=1, max_size=4).map(".".join)
port = st.integers(min_value=1, max_value=65535)


@given(domain, port)
def test_the_port_and_case_never_matter(host: str, number: int) -> None:
    assert host_name(f"{host.upper()}:{number}") == host
    assert allowed(host_name(f"{host}:{number}"), [host.upper()])


@given(st.ip_addresses(v=6), port)
def test_ipv6_hosts_lose_brackets_and_port(address, number: int) -> None:
    assert host_name(f"[{address}]:{number}") == str(address)


@given(domain, label, label)
def test_a_wildcard_matches_subdomains_only(parent: str, sub: str, prefix: str) -> None:
    pattern = f"*.{parent}"
    assert allowed(f"{sub}.{parent}", [pattern])
    assert not allowed(parent, [pattern])  # the parent itself is not under it
    assert not allowed(f"{prefix}{parent}", [pattern])  # nor a name that merely ends alike


@given(domain, domain)
def test_other_hosts_are_refused(host: str, other: str) -> None:
    if host != other:
        assert not allowed(other, [host])
