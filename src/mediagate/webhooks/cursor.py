"""Opaque cursors of the delivery log (newest first, by the row's sequence number)."""

from __future__ import annotations

from mediagate.core import cursor as cursors


def encode(seq: int) -> str:
    return cursors.pack(f"d.{seq}")


def decode(cursor: str) -> int:
    """The sequence number the next page starts below; a bad cursor names `cursor`."""
    try:
        kind, seq = cursors.unpack(cursor, 40).split(".", 1)
        if kind != "d":
            raise ValueError("not a delivery cursor")
        return cursors.number(seq)
    except ValueError:
        raise cursors.invalid() from None
