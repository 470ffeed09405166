"""The in-process metrics (histograms and counters) of the engine."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

CLAIM_SECONDS = Histogram(
    "mediagate_claim_seconds", "Time to claim a batch of due tasks.", buckets=_FAST,
    registry=REGISTRY,
)  # fmt: skip
STEP_SECONDS = Histogram(
    "mediagate_step_seconds", "Time of one task step, by kind.", ["provider", "step"],
    buckets=_SLOW, registry=REGISTRY,
)  # fmt: skip
PROVIDER_CALL_SECONDS = Histogram(
    "mediagate_provider_call_seconds", "Provider API call latency.", ["provider", "call"],
    buckets=_SLOW, registry=REGISTRY,
)  # fmt: skip
PROVIDER_ERRORS = Counter(
    "mediagate_provider_errors", "Provider calls that failed, by error code.",
    ["provider", "call", "code"], registry=REGISTRY,
)  # fmt: skip

READY = Gauge(
    "mediagate_ready", "Readiness checks at the last /readyz or scrape: 1 passing, 0 failing.",
    ["check"], registry=REGISTRY,
)  # fmt: skip

WEBHOOK_ATTEMPTS = Counter(
    "mediagate_webhook_attempts", "Webhook delivery attempts, by outcome.", ["outcome"],
    registry=REGISTRY,
)  # fmt: skip
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "mediagate_webhook_attempt_seconds", "Time of one webhook delivery attempt.",
    buckets=_SLOW, registry=REGISTRY,
)  # fmt: skip


@asynccontextmanager
async def provider_call(provider: str, call: str) -> AsyncIterator[None]:
    """Time a provider call; count it as an error if it raises a provider error."""
    from mediagate.providers import ProviderError

    started = time.perf_counter()
    try:
        yield
    except ProviderError as exc:
        PROVIDER_ERRORS.labels(provider, call, exc.code).inc()
        raise
    finally:
        PROVIDER_CALL_SECONDS.labels(provider, call).observe(time.perf_counter() - started)
