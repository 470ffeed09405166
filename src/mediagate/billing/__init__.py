"""Billing: what a task costs. Only a succeeded task costs anything; sandbox tasks cost 0."""

from mediagate.billing.pricing import cost_micros

__all__ = ["cost_micros"]
