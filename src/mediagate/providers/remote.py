"""The base of every adapter to a remote provider API: its connection (base URL, credentials,
time limit, and for the sandbox an in-process transport to the simulator) and HTTP client."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from mediagate.providers.base import Provider, ProviderError
from mediagate.providers.http import Malformed, ProviderHTTP


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one provider. `credentials` holds the values named by the
    adapter's `credential_names` (from `MEDIAGATE_<PROVIDER>_<NAME>`)."""

    base_url: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 30.0
    #: The sandbox's in-process route to the simulator; None: the network.
    transport: httpx.AsyncBaseTransport | None = None
    #: Where the adapter may keep files a provider returned inline (not as URLs) until the
    #: engine stores them: under the data directory, so every worker sharing it finds them.
    files_dir: Path | None = None
    #: Whether URLs from clients (input images to download) may point to private addresses.
    allow_private_urls: bool = False


class RemoteProvider(Provider, abc.ABC):
    """An adapter speaking a provider's HTTP API through `self.http`."""

    #: Configuration names of its credentials, e.g. ("api_key",) or ("access_key", "secret_key").
    credential_names: ClassVar[tuple[str, ...]] = ("api_key",)
    default_base_url: ClassVar[str]

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        missing = [n for n in self.credential_names if not connection.credentials.get(n)]
        self.configured = not missing
        self.missing_config = ", ".join(
            f"MEDIAGATE_{self.name.upper()}_{n.upper()}" for n in missing
        )
        self.http = ProviderHTTP(
            self.name,
            connection.base_url,
            auth=self.auth_headers,
            timeout_s=connection.timeout_s,
            transport=connection.transport,
            refusal=self.refusal,
            refusal_429=self.refusal_429,
        )
        # Outputs of the sandbox live in the simulator, reached through the same transport.
        self.output_http = self.http.client if connection.transport is not None else None

    def credential(self, name: str) -> str:
        value = self.connection.credentials.get(name)
        if not value:
            raise ProviderError(
                "PROVIDER_UNAVAILABLE",
                f"{self.name} is not configured on this gateway: set {self.missing_config}",
            )
        return value

    @abc.abstractmethod
    def auth_headers(self) -> Mapping[str, str]:
        """The headers that authenticate one request (called for every request)."""

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        """The error for a 4xx answer (other than 429), from the provider's error body; None
        for the default (401/403: credentials refused; others: INVALID_INPUT)."""
        return None

    def refusal_429(self, body: Any) -> ProviderError | None:
        """The error for a 429 answer that is not a rate limit (from its parsed body, None when
        not JSON); None: `RateLimited`, retried after its Retry-After."""
        return None

    def malformed(self, what: str) -> Malformed:
        return Malformed(self.name, what)

    async def aclose(self) -> None:
        await self.http.aclose()
