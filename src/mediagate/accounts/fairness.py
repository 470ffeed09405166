"""Bounds of an account's fairness settings, shared by the claim and the command line (kept
free of imports: the CLI reads it at start-up)."""

#: The largest share an account can have of a provider's turns.
MAX_SHARE = 1000
