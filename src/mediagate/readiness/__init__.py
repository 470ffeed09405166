"""Readiness: whether the gateway can do its work now (`GET /readyz`), and the heartbeats of
the workers' claim loops it reads."""

from mediagate.readiness.service import CHECKS, Readiness

__all__ = ["CHECKS", "Readiness"]
