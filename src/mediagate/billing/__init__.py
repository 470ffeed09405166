"""Billing: what a task costs (pricing), credits and holds (the ledger), usage.

Only a succeeded task costs anything; sandbox tasks cost 0.
"""

from mediagate.billing.pricing import cost_micros, max_cost_micros

__all__ = ["cost_micros", "max_cost_micros"]
