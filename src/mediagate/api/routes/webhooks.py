"""`/api/v1/webhooks`: endpoints, their secrets, test events, the delivery log, redelivery.

Bodies are parsed here (not by FastAPI) so that every problem is a 400 naming the parameter;
their JSON schemas are declared for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import docs, responses
from mediagate.api.auth import require_principal
from mediagate.api.body import parse_json
from mediagate.api.query import DEFAULT_LIMIT, MAX_LIMIT, limit_param
from mediagate.webhooks import service
from mediagate.webhooks.schemas import (
    CreateWebhookRequest,
    UpdateWebhookRequest,
    WebhookDeleted,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

_ENDPOINT_EXAMPLE = {
    "id": "wh_3kTMd9Qv7bX2pLr8sYc1aFgH",
    "url": "https://example.com/hooks/mediagate",
    "events": [
        "task.queued",
        "task.running",
        "task.succeeded",
        "task.failed",
        "task.cancelled",
        "task.expired",
    ],
    "description": "production receiver",
    "disabled": False,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "created_at": "2026-12-01T10:00:00Z",
}
_DELIVERY_EXAMPLE = {
    "id": "dlv_000000000000002a",
    "event_id": "evt_00000000000003e80000000000000091",
    "event_type": "task.succeeded",
    "status": "pending",
    "attempts": 1,
    "response_status": 503,
    "error": "HTTP 503: busy",
    "duration_ms": 41,
    "created_at": "2026-12-01T10:00:07Z",
    "next_attempt_at": "2026-12-01T10:00:12Z",
}
_ERRORS = {
    400: "A parameter is invalid (`INVALID_PARAMETER`); the message names it.",
    404: "No such endpoint (or delivery) in the key's account and mode (`NOT_FOUND`).",
}

WEBHOOK_ID = Path(description="The endpoint's id, `wh_...`.")
RECEIVER_ID = Path(
    description="The endpoint's id (`wh_...`), or `default` for deliveries to tasks' "
    "`callback_url`s."
)
DELIVERY_ID = Path(description="The delivery's id, `dlv_...`, from the delivery log.")


def _doc(
    status: int,
    description: str,
    data: Any,
    *errors: int,
    model: Any,
    listing: bool = False,
    links: dict[str, Any] | None = None,
) -> dict:
    return docs.responses(
        status,
        description,
        data,
        {code: _ERRORS[code] for code in errors},
        model=model,
        listing=listing,
        links=links,
    )


#: From an endpoint to what can be done with it (OpenAPI links).
_ENDPOINT_LINKS = {
    name: {"operationId": operation, "parameters": {"webhook_id": "$response.body#/data/id"}}
    for name, operation in (
        ("GetWebhook", "get_webhook"),
        ("UpdateWebhook", "update_webhook"),
        ("DeleteWebhook", "delete_webhook"),
        ("RotateSecret", "rotate_secret"),
        ("TestWebhook", "test_webhook"),
        ("ListDeliveries", "list_deliveries"),
    )
}


def _body_doc(model: type[BaseModel]) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.fetch_private_urls


@router.post(
    "/webhooks",
    status_code=201,
    summary="Create a webhook endpoint",
    openapi_extra=_body_doc(CreateWebhookRequest),
    responses=_doc(
        201,
        "The endpoint, with its signing secret.",
        _ENDPOINT_EXAMPLE,
        400,
        model=WebhookEndpoint,
        links=_ENDPOINT_LINKS,
    ),
)
async def create_webhook(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Register a URL to receive the account's task events (in the key's mode), signed per
    Standard Webhooks with the endpoint's `secret`. `events` defaults to every status change
    (all types but `task.created` and `task.progress`). The URL must be `http(s)` and resolve
    to a public address."""
    body = parse_json(await request.body(), CreateWebhookRequest)
    created = await service.create_endpoint(
        request.app.state.db, principal, body, allow_private=_allow_private(request)
    )
    return responses.ok(created, status_code=201)


@router.get(
    "/webhooks",
    summary="List webhook endpoints",
    responses=_doc(
        200,
        "The endpoints, newest first.",
        [_ENDPOINT_EXAMPLE],
        model=WebhookEndpoint,
        listing=True,
    ),
)
async def list_webhooks(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """The account's endpoints in the key's mode (a `mg_test_` key sees only sandbox ones),
    newest first, all on one page."""
    items = await service.list_endpoints(request.app.state.db, principal)
    return responses.listing(items, cursor=None, has_more=False, total=len(items))


@router.get(
    "/webhooks/default/secret",
    summary="Get the account's default webhook secret",
    responses=_doc(
        200, "The secret.", {"secret": _ENDPOINT_EXAMPLE["secret"]}, model=WebhookSecret
    ),
)
async def default_secret(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """The secret that signs deliveries to tasks' `callback_url` (made on first use)."""
    secret = await service.default_secret(request.app.state.db, principal.account_id)
    return responses.ok({"secret": secret})


@router.get(
    "/webhooks/{webhook_id}",
    summary="Get a webhook endpoint",
    responses=_doc(200, "The endpoint.", _ENDPOINT_EXAMPLE, 404, model=WebhookEndpoint),
)
async def get_webhook(
    request: Request,
    webhook_id: str = WEBHOOK_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """One endpoint, with its secret."""
    return responses.ok(await service.get_endpoint(request.app.state.db, principal, webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    summary="Update a webhook endpoint",
    openapi_extra=_body_doc(UpdateWebhookRequest),
    responses=_doc(
        200, "The endpoint as updated.", _ENDPOINT_EXAMPLE, 400, 404, model=WebhookEndpoint
    ),
)
async def update_webhook(
    request: Request,
    webhook_id: str = WEBHOOK_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """Change `url`, `events`, `description` or `disabled` (only the fields given).
    Disabling ends the endpoint's waiting deliveries as failed; enabling resumes deliveries of
    new events."""
    body = parse_json(await request.body(), UpdateWebhookRequest)
    updated = await service.update_endpoint(
        request.app.state.db, principal, webhook_id, body, allow_private=_allow_private(request)
    )
    return responses.ok(updated)


@router.delete(
    "/webhooks/{webhook_id}",
    summary="Delete a webhook endpoint",
    responses=_doc(
        200, "Deleted.", {"id": _ENDPOINT_EXAMPLE["id"], "deleted": True}, 404, model=WebhookDeleted
    ),
)
async def delete_webhook(
    request: Request,
    webhook_id: str = WEBHOOK_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """Delete the endpoint and its delivery log; deliveries in flight are not recorded."""
    deleted = await service.delete_endpoint(request.app.state.db, principal, webhook_id)
    return responses.ok(deleted)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    summary="Rotate a webhook endpoint's secret",
    responses=_doc(
        200, "The endpoint with its new secret.", _ENDPOINT_EXAMPLE, 404, model=WebhookEndpoint
    ),
)
async def rotate_secret(
    request: Request,
    webhook_id: str = WEBHOOK_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """A new secret. For 24 hours the old one signs too: `webhook-signature` then carries
    both signatures, space-separated, so receivers can switch without missing a delivery."""
    rotated = await service.rotate_secret(request.app.state.db, principal, webhook_id)
    return responses.ok(rotated)


@router.post(
    "/webhooks/{webhook_id}/test",
    status_code=202,
    summary="Send a test event",
    responses=_doc(
        202,
        "The delivery, pending.",
        {**_DELIVERY_EXAMPLE, "event_type": "webhook.test", "attempts": 0},
        404,
        model=WebhookDelivery,
    ),
)
async def test_webhook(
    request: Request,
    webhook_id: str = WEBHOOK_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """Deliver a `webhook.test` event (`data`: `{webhook_id, message}`) to the endpoint,
    whatever events it takes; follow it in the delivery log."""
    created = await service.send_test(request.app.state.db, principal, webhook_id)
    return responses.ok(created, status_code=202)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="List an endpoint's deliveries",
    responses=_doc(
        200,
        "Deliveries, newest first.",
        [_DELIVERY_EXAMPLE],
        400,
        404,
        model=WebhookDelivery,
        listing=True,
    ),
)
async def list_deliveries(
    request: Request,
    webhook_id: str = RECEIVER_ID,
    limit: str | None = Query(None, description=f"1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}."),
    cursor: str | None = Query(None, description="`pagination.cursor` of the previous page."),
    principal: Principal = Depends(require_principal),
) -> Response:
    """The delivery log of an endpoint (or, with `default`, of the account's callback URLs),
    newest first: each delivery's status (`pending`, `succeeded`, `failed`), attempts, last
    answer and next attempt."""
    params = request.query_params
    page = await service.deliveries_page(
        request.app.state.db,
        principal,
        webhook_id,
        cursor_text=params.get("cursor"),
        limit=limit_param(params),
    )
    return responses.listing(
        page.items, cursor=page.cursor, has_more=page.has_more, total=page.total
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Deliver an event again",
    responses=_doc(
        202,
        "The new delivery, pending.",
        {**_DELIVERY_EXAMPLE, "attempts": 0},
        404,
        model=WebhookDelivery,
    ),
)
async def redeliver(
    request: Request,
    webhook_id: str = RECEIVER_ID,
    delivery_id: str = DELIVERY_ID,
    principal: Principal = Depends(require_principal),
) -> Response:
    """A new delivery of the same event to the same receiver, with the same `webhook-id` (so a
    receiver that already has it can tell), retried on its own schedule."""
    created = await service.redeliver(request.app.state.db, principal, webhook_id, delivery_id)
    return responses.ok(created, status_code=202)
