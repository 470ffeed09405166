"""Opaque cursors of the delivery log (newest first, by the row's sequence number)."""

from __future__ import annotations

import base64
import binascii

from mediagate.core.errors import InvalidParameter


def encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"d.{seq}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The sequence number the next page starts below; a bad cursor names `cursor`."""
    try:
        if len(cursor) > 40:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        kind, seq = raw.split(".", 1)
        if kind != "d" or not seq.isdigit() or len(seq) > 19:
            raise ValueError
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameter(
            "cursor", "is not a cursor this API returned; pass pagination.cursor unchanged"
        ) from None
