"""Bearer-key authentication."""

from __future__ import annotations

from starlette.requests import Request

from mediagate.accounts import service as accounts
from mediagate.accounts.repository import Principal
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
    """FastAPI dependency: the caller's account, or 401."""
    db: Database = request.app.state.db
    principal = await accounts.authenticate(db, bearer_secret(request))
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal
