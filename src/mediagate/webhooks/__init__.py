"""Webhooks: signed deliveries of task events to an account's endpoints and to tasks'
`callback_url`s (Standard Webhooks).

For receivers written in Python, `verify(body, headers, secret)` checks a delivery and returns
its payload; it needs nothing of the server (`from mediagate.webhooks import verify`)::

    from mediagate.webhooks import InvalidSignature, verify

    try:
        event = verify(request_body_bytes, request_headers, "whsec_...")
    except InvalidSignature:
        ...  # answer 400 (or 401): not from the gateway
    event["type"], event["data"]["id"]  # and deduplicate on the webhook-id header
"""

from mediagate.webhooks.signing import InvalidSignature, verify

__all__ = ["InvalidSignature", "verify"]
