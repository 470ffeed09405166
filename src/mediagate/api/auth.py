"""Bearer-key authentication."""

from __future__ import annotations

from starlette.requests import Request

from mediagate.accounts import service as accounts
from mediagate.accounts.repository import Principal
from mediagate.api.ratelimit import RateLimiter
from mediagate.core.errors import Unauthorized
from mediagate.db import Database


def bearer_secret(request: Request) -> str:
    """The key from `Authorization: Bearer <key>`; 401 when missing or malformed."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <key>'")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("malformed Authorization header; send 'Authorization: Bearer <key>'")
    return secret


async def require_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller's account, or 401; then the key's rate limit (429)."""
    db: Database = request.app.state.db
    secret = bearer_secret(request)
    principal = await accounts.authenticate(db, secret)
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None and (refused := await limiter.take(secret, db)) is not None:
        raise refused
    return principal
