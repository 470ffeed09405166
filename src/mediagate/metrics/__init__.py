"""Prometheus metrics: what the engine measures in-process, and task gauges read from the
store at scrape time (so every API process reports the whole cluster's tasks)."""

from mediagate.metrics.definitions import (
    CLAIM_SECONDS,
    PROVIDER_CALL_SECONDS,
    PROVIDER_ERRORS,
    READY,
    STEP_SECONDS,
    WEBHOOK_ATTEMPT_SECONDS,
    WEBHOOK_ATTEMPTS,
    provider_call,
)
from mediagate.metrics.exposition import render

__all__ = [
    "CLAIM_SECONDS",
    "PROVIDER_CALL_SECONDS",
    "PROVIDER_ERRORS",
    "READY",
    "STEP_SECONDS",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_ATTEMPT_SECONDS",
    "provider_call",
    "render",
]
