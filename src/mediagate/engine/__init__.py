"""The task engine: workers that claim due tasks, run one short step each, and put them back.

See docs/engine.md for the design (leases, fencing, retries, cancel, no duplicate paid jobs).
"""
