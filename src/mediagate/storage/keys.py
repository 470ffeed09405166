"""Storage keys: the relative paths objects are stored under (`acct_x/task_y/0.png`).

Keys are checked against an allow-list before they touch a file system or a bucket: segments of
ASCII letters, digits, `_`, `-`, `.` and `~`, none starting with a dot (so no `.`, `..` or
hidden temporary files), no empty segment, no leading slash, at most 512 characters. That
rules out absolute paths, `..`, backslashes, NUL and every other control character at once.
"""

from __future__ import annotations

import re

MAX_KEY_LENGTH = 512
_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


class InvalidKey(ValueError):
    """A key or prefix outside the allow-list."""


def check_key(key: str) -> str:
    """`key` itself when it is a valid object key; raises InvalidKey otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey("a storage key must have 1 to 512 characters")
    if not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise InvalidKey(f"not a valid storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A non-empty key prefix: a key, optionally ending with `/` (a whole folder)."""
    check_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def is_valid_key(key: str) -> bool:
    try:
        check_key(key)
    except InvalidKey:
        return False
    return True
