"""Event ids carry the event's place in the log, so a cursor needs no lookup.

`evt_` + 16 hex digits of `tx_order` + 16 of `seq` (the triggers of migration 0006 write the
same text). Ids therefore sort in log order.
"""

from __future__ import annotations

import re

from mediagate.core.cursor import MAX_INT64
from mediagate.core.errors import InvalidParameter

Position = tuple[int, int]  # (tx_order, seq)
START: Position = (-1, -1)  # before every event
_ID = re.compile(r"evt_([0-9a-f]{16})([0-9a-f]{16})")


def encode(position: Position) -> str:
    return f"evt_{position[0]:016x}{position[1]:016x}"


def decode(text: str, param: str) -> Position:
    """The position of an event id from a client; 400 naming `param` for anything else."""
    match = _ID.fullmatch(text.strip())
    if match is None:
        raise InvalidParameter(param, "is not an event id (evt_ and 32 hex digits)")
    tx_order, seq = int(match[1], 16), int(match[2], 16)
    if tx_order > MAX_INT64 or seq > MAX_INT64:
        raise InvalidParameter(param, "is not an event id of this gateway")
    return tx_order, seq
