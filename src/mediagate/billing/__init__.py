"""Billing: what a task costs (pricing), credits and holds (the ledger), usage.

Only a succeeded task costs anything; sandbox tasks cost 0.

The modules are imported where used (`billing.pricing`, `billing.money`...): `money` alone is
light, which the command line's start-up needs.
"""
