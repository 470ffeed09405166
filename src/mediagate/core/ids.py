"""Public identifiers: a prefix and enough randomness to be unguessable."""

from __future__ import annotations

import secrets


def new_id(prefix: str, nbytes: int = 18) -> str:
    """`prefix_` + URL-safe random text (18 bytes give 24 characters, 144 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"
