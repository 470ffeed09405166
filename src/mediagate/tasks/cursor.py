"""Opaque keyset cursors over `(created_at, id)`."""

from __future__ import annotations

import base64
import binascii
import re

from mediagate.core.errors import InvalidParameter

_ID = re.compile(r"task_[A-Za-z0-9_-]{1,59}")


def encode(created_at: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at}.{task_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[int, str]:
    """The position after which the next page starts; a bad cursor names `cursor`."""
    try:
        if len(cursor) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        created, task_id = raw.split(".", 1)
        if not created.isdigit() or not _ID.fullmatch(task_id):
            raise ValueError
        return int(created), task_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameter(
            "cursor", "is not a cursor this API returned; pass pagination.cursor unchanged"
        ) from None
