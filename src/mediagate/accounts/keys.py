"""API key material: generation, hashing, display prefix. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

Mode = Literal["live", "test"]
PREFIXES: dict[Mode, str] = {"live": "mg_live_", "test": "mg_test_"}
DISPLAY_CHARS = 16  # "mg_live_" + 8 random characters


@dataclass(frozen=True)
class NewKey:
    secret: str
    key_hash: str
    prefix: str
    mode: Mode


def hash_key(secret: str) -> str:
    """SHA-256 is enough for 256-bit random secrets (no dictionary to attack); the digest is
    what the database index compares, so the secret itself is never compared byte by byte."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate(mode: Mode) -> NewKey:
    secret = PREFIXES[mode] + secrets.token_urlsafe(32)
    return NewKey(secret, hash_key(secret), secret[:DISPLAY_CHARS], mode)


def looks_like_key(value: str) -> bool:
    return value.startswith(("mg_live_", "mg_test_")) and 16 <= len(value) <= 128
