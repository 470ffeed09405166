"""JSON encoding with orjson, the one encoder used for storage and responses."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def canonical(value: Any) -> bytes:
    """Key-sorted bytes: equal values give equal bytes (used for idempotency fingerprints)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
