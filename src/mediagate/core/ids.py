"""Public identifiers: a prefix and enough randomness to be unguessable."""

from __future__ import annotations

import re
import secrets

_PLAUSIBLE = re.compile(r"[A-Za-z0-9_-]{1,80}")


def new_id(prefix: str, nbytes: int = 18) -> str:
    """`prefix_` + URL-safe random text (18 bytes give 24 characters, 144 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def plausible_id(value: str) -> bool:
    """True when `value` could be an id we issued; anything else cannot exist in the store.

    Checked before a lookup so hostile path segments (NUL bytes, megabytes of text) never
    reach the database, which would reject some of them with an error instead of "no row".
    """
    return _PLAUSIBLE.fullmatch(value) is not None
