"""Where the gateway is, the key, and the retry and polling policy."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mediagate import __version__
from mediagate.client.errors import ConfigurationError

DEFAULT_URL = "http://127.0.0.1:8000"
URL_ENV, KEY_ENV = "MEDIAGATE_URL", "MEDIAGATE_API_KEY"


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of safe calls on connection errors, 5xx and 429: exponential backoff with
    jitter, or the server's `Retry-After` when it sends one (up to `max_retry_after`)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number `attempt` (0-based): half the capped exponential, plus a
        random part up to the other half, so clients that failed together spread out."""
        cap = min(self.max_delay, self.base_delay * 2**attempt)
        return cap / 2 + rng.uniform(0, cap / 2)


@dataclass(frozen=True)
class PollPolicy:
    """`wait`: the first poll after `initial` seconds, each later one `factor` times longer, up
    to `maximum`, each +-20 % at random (so many waiters do not poll in step)."""

    initial: float = 0.25
    factor: float = 1.5
    maximum: float = 5.0

    def delay(self, polls: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor**polls)
        return base * rng.uniform(0.8, 1.2)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: str = field(repr=False)
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    #: An event stream silent this long is taken as dead and reconnected (the gateway sends a
    #: comment at least every 15 s).
    stream_idle_timeout: float = 45.0
    user_agent: str = f"mediagate-python/{__version__}"

    @classmethod
    def resolve(
        cls,
        base_url: str | None,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
    ) -> ClientConfig:
        """Arguments first, then MEDIAGATE_URL / MEDIAGATE_API_KEY, then the local default."""
        url = (base_url or os.environ.get(URL_ENV) or DEFAULT_URL).strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"the gateway URL must look like http://host:port, got {url!r} "
                f"(pass base_url or set {URL_ENV})"
            )
        key = (api_key or os.environ.get(KEY_ENV) or "").strip()
        if not key:
            raise ConfigurationError(
                f"no API key: pass api_key or set {KEY_ENV} "
                "(an operator makes one with `mediagate keys create --account NAME`)"
            )
        if not key.isascii() or not key.isprintable():
            raise ConfigurationError("the API key has characters an API key never has")
        if timeout <= 0:
            raise ConfigurationError("timeout must be positive")
        if max_retries < 0:
            raise ConfigurationError("max_retries must be 0 or more")
        return cls(url, key, timeout, RetryPolicy(max_retries=max_retries))

    def api_url(self, path: str) -> str:
        return f"{self.base_url}/api/v1/{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", **(extra or {})}
