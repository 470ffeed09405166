"""Kling's legacy API authentication: a JWT (HS256) signed with the secret key for each
request, exactly as the official sample makes it (`iss` = access key, valid from 5 s ago for
30 minutes; no `iat`)."""

from __future__ import annotations

import time

import jwt

LIFETIME_S = 1800


def token(access_key: str, secret_key: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"iss": access_key, "exp": issued + LIFETIME_S, "nbf": issued - 5}
    return jwt.encode(claims, secret_key, algorithm="HS256", headers={"typ": "JWT"})
