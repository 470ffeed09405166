"""Opaque keyset cursors over `(created_at, id)`."""

from __future__ import annotations

import re

from mediagate.core import cursor as cursors

_ID = re.compile(r"task_[A-Za-z0-9_-]{1,59}")


def encode(created_at: int, task_id: str) -> str:
    return cursors.pack(f"{created_at}.{task_id}")


def decode(cursor: str) -> tuple[int, str]:
    """The position after which the next page starts; a bad cursor names `cursor`."""
    try:
        created, task_id = cursors.unpack(cursor, 200).split(".", 1)
        if not _ID.fullmatch(task_id):
            raise ValueError("not a task id")
        return cursors.number(created), task_id
    except ValueError:
        raise cursors.invalid() from None
