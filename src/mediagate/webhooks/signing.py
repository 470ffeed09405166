"""Standard Webhooks signatures (https://www.standardwebhooks.com/), through the
`standardwebhooks` library: secrets, the signature header, and `verify` for receivers.

Needs nothing of the server (importable by client code)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class InvalidSignature(WebhookVerificationError):
    """The request is not a delivery signed with this secret (or its headers are missing, or
    its timestamp is more than 5 minutes away from now)."""


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _webhook(secret: str) -> Webhook:
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret: must be the endpoint's secret, whsec_ followed by base64")
    try:
        return Webhook(secret)
    except Exception:
        raise ValueError("secret: the text after whsec_ is not base64") from None


def signature_header(keys: Iterable[str], msg_id: str, timestamp: int, body: str) -> str:
    """`webhook-signature`: `v1,<base64>` for each secret in `keys`, space-separated (several
    while a secret rotates)."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return " ".join(_webhook(key).sign(msg_id, when, body) for key in keys)


def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> Any:
    """Check a delivery's `webhook-id`, `webhook-timestamp` and `webhook-signature` headers
    against its raw `body` and the endpoint's `secret` (`whsec_...`); returns the parsed JSON
    payload `{"type", "timestamp", "data"}`. Raises `InvalidSignature` when the delivery is
    not authentic or is older (or newer) than 5 minutes, `ValueError` for a malformed secret.

    Pass the body exactly as received (bytes), before any JSON parsing."""
    webhook = _webhook(secret)
    try:
        return webhook.verify(body, dict(headers.items()))
    except WebhookVerificationError as exc:
        raise InvalidSignature(str(exc)) from None
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        # A malformed signature header or a body that is not JSON.
        raise InvalidSignature(f"malformed delivery: {type(exc).__name__}") from None
