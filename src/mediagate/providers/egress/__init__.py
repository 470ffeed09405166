"""Connections to URLs the gateway did not choose: input images an adapter downloads, the
outputs a provider points to, webhook and callback URLs. One client (`egress_client`) for all
of them: only public addresses, decided on the address actually connected to, failing closed,
unless the operator allows private ones (`MEDIAGATE_FETCH_PRIVATE_URLS`) or configured the host
(a provider's base URL)."""

from mediagate.providers.egress.addresses import embedded_ipv4, parse_address, refusal
from mediagate.providers.egress.registration import check_public_url
from mediagate.providers.egress.resolver import (
    ALLOW_SETTING,
    EgressPolicy,
    EgressRefused,
    checked_addresses,
)
from mediagate.providers.egress.transport import egress_client

__all__ = [
    "ALLOW_SETTING",
    "EgressPolicy",
    "EgressRefused",
    "check_public_url",
    "checked_addresses",
    "egress_client",
    "embedded_ipv4",
    "parse_address",
    "refusal",
]
