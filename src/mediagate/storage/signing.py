"""HMAC-SHA256 signed URLs for the files the gateway serves itself (the local store).

A signed download is `?exp=<unix seconds>&name=<filename>[&type=<content type>]&sig=<mac>`.
The MAC covers the storage key, the expiry, the file name and the content type, each
length-prefixed so no two different tuples encode alike; `sig` is the unpadded URL-safe
base64 of the full 32-byte HMAC. Verification compares in constant time.

The key is a random 32-byte secret made on first start and kept in `gateway_secrets`, so every
process sharing a database signs and verifies alike (`load_or_create_secret`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from sqlalchemy import select, text

from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.tables import gateway_secrets

SECRET_NAME = "url_signing"
DEFAULT_TTL_S = 15 * 60
SECRET_BYTES = 32
_VERSION = b"mediagate-url-v1"
_EXP = re.compile(r"[0-9]{1,12}")
_PARAMS = ("exp", "name", "type", "sig")
#: Text that a query value carries as it is (`quote(..., safe="")` would not change it).
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")
#: Signed query strings kept (every read signs afresh, but the same file's URL in the same
#: second is the same string: a client polling a finished task costs a lookup, not an HMAC).
SIGNED_CACHE = 8192


class SignatureError(Exception):
    """A download URL that must be refused; `reason` is `missing`, `invalid` or `expired`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class SignedDownload:
    """What a valid signature vouches for, besides the key."""

    filename: str
    content_type: str | None
    expires_at: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _quoted(value: str) -> str:
    """`value` percent-encoded for a query string (as `quote(value, safe="")`)."""
    return value if _PLAIN.fullmatch(value) else quote(value, safe="")


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class URLSigner:
    """Signs and verifies download URLs; `clock` (Unix seconds) is injectable for tests."""

    def __init__(self, secret: bytes, *, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < SECRET_BYTES:
            raise ValueError(f"the URL-signing secret needs at least {SECRET_BYTES} bytes")
        self._secret = secret
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)  # copied per MAC
        self.clock = clock
        self.sign = functools.lru_cache(maxsize=SIGNED_CACHE)(self._sign)  # type: ignore[method-assign]

    def expires_at(self, ttl_s: int = DEFAULT_TTL_S) -> int:
        """The expiry (Unix seconds) of a URL made now that lives at least `ttl_s` seconds."""
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1")
        return math.ceil(self.clock()) + ttl_s

    def _mac(self, key: str, expires_at: int, filename: str, content_type: str | None) -> bytes:
        mac = self._keyed.copy()
        fields = (key, str(expires_at), filename, content_type or "")
        mac.update(b"".join(b"%d:%b" % (len(f), f) for f in (_VERSION, *map(str.encode, fields))))
        return mac.digest()

    def _sign(
        self, key: str, expires_at: int, filename: str, content_type: str | None = None
    ) -> str:
        """The query string (without `?`) that makes `key` downloadable until `expires_at`."""
        query = f"exp={expires_at}&name={_quoted(filename)}"
        if content_type:
            query += f"&type={_quoted(content_type)}"
        return f"{query}&sig={_b64(self._mac(key, expires_at, filename, content_type))}"

    def verify(self, key: str, query_string: str) -> SignedDownload:
        """The signed download for `key` and the raw `query_string`, or SignatureError.

        Unknown parameters are ignored; a repeated signed parameter is invalid."""
        pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k in _PARAMS]
        params = dict(pairs)
        if len(params) != len(pairs):
            raise SignatureError("invalid", "the download link is malformed")
        if "sig" not in params or "exp" not in params or "name" not in params:
            raise SignatureError("missing", "the download link is not signed")
        exp_text, filename, sig = params["exp"], params["name"], params["sig"]
        content_type = params.get("type") or None
        if not _EXP.fullmatch(exp_text):
            raise SignatureError("invalid", "the download link's signature is invalid")
        expires_at = int(exp_text)
        try:
            given = _unb64(sig)
        except ValueError:
            given = b""
        expected = self._mac(key, expires_at, filename, content_type)
        if not hmac.compare_digest(given, expected):
            raise SignatureError("invalid", "the download link's signature is invalid")
        if self.clock() > expires_at:
            raise SignatureError("expired", "the download link has expired; fetch the task again")
        return SignedDownload(filename, content_type, expires_at)


_INSERT_SECRET = text(
    "INSERT INTO gateway_secrets (name, value, created_at) VALUES (:name, :value, :created_at) "
    "ON CONFLICT (name) DO NOTHING"
)


async def load_or_create_secret(db: Database, name: str = SECRET_NAME) -> bytes:
    """The secret `name`, made (32 random bytes) by whichever process asks first.

    `INSERT ... ON CONFLICT DO NOTHING` then `SELECT` in one write transaction (same SQL on
    SQLite >= 3.24 and PostgreSQL): concurrent first starts all read the one winner's value."""
    candidate = _b64(secrets.token_bytes(SECRET_BYTES))
    async with db.write() as conn:
        await conn.execute(
            _INSERT_SECRET, {"name": name, "value": candidate, "created_at": now_us()}
        )
        query = select(gateway_secrets.c.value).where(gateway_secrets.c.name == name)
        stored = (await conn.execute(query)).scalar_one()
    secret = _unb64(stored)
    if len(secret) < SECRET_BYTES:
        raise RuntimeError(f"gateway_secrets[{name!r}] is shorter than {SECRET_BYTES} bytes")
    return secret
