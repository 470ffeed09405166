"""Small helpers shared by every domain: clock, ids, JSON."""
