"""Opaque list cursors: short text in unpadded URL-safe base64.

Every value decoded from a client's cursor is checked before it reaches a query (the text this
API writes, numbers within a BIGINT column's range), so a forged cursor is a 400 naming the
parameter, never a database error.
"""

from __future__ import annotations

import base64

from mediagate.core.errors import InvalidParameter

#: The largest value of a BIGINT column (SQLite's INTEGER and PostgreSQL's BIGINT alike).
MAX_INT64 = 2**63 - 1


def pack(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unpack(cursor: str, max_len: int) -> str:
    """The ASCII text inside `cursor`; ValueError for anything `pack` cannot have made."""
    if len(cursor) > max_len or not cursor.isascii():
        raise ValueError("too long or not ASCII")
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")


def number(text: str) -> int:
    """A decimal from 0 to `MAX_INT64`; ValueError for anything else (signs, spaces, non-ASCII
    digits, values a BIGINT cannot hold)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError("not a decimal number")
    value = int(text)
    if value > MAX_INT64:
        raise ValueError("out of range")
    return value


def invalid(param: str = "cursor") -> InvalidParameter:
    return InvalidParameter(
        param, "is not a cursor this API returned; pass pagination.cursor unchanged"
    )
