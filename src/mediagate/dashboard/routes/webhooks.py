"""The webhooks pages: endpoints (create, disable or enable, delete, send a test event, rotate
the secret) and each one's delivery log with redelivery; `default` is the log of the tasks'
callback URLs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import Response

from mediagate.api.query import cursor_param
from mediagate.core.errors import InvalidParameter, ServiceError
from mediagate.dashboard import render
from mediagate.dashboard.security import checked_form, current_session
from mediagate.dashboard.sessions import Session
from mediagate.events.service import TYPES
from mediagate.tasks.service import validation_param
from mediagate.webhooks import service
from mediagate.webhooks.schemas import DEFAULT_EVENTS, CreateWebhookRequest, UpdateWebhookRequest

router = APIRouter(prefix="/dashboard", include_in_schema=False)
LOG_PAGE = 20
NOTICES = {
    "created": "The endpoint was created. Its secret signs every delivery.",
    "disabled": "The endpoint is disabled: it receives nothing until enabled.",
    "enabled": "The endpoint is enabled.",
    "rotated": "A new secret; the previous one keeps signing beside it for 24 hours.",
    "tested": "A test event is on its way; see the delivery log.",
    "redelivered": "The event will be delivered again; see the delivery log.",
    "deleted": "The endpoint was deleted.",
}


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.fetch_private_urls


def _list_page(
    request: Request,
    session: Session,
    endpoints: list[dict],
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    return render.page(
        request,
        "webhooks.html",
        session,
        status_code=status_code,
        endpoints=endpoints,
        types=TYPES,
        errors=errors or {},
        values=values or {"url": "", "description": "", "events": list(DEFAULT_EVENTS)},
        notice=NOTICES.get(request.query_params.get("notice", "")),
    )


@router.get("/webhooks")
async def webhooks(request: Request, session: Session = Depends(current_session)) -> Response:
    endpoints = await service.list_endpoints(request.app.state.db, session.principal)
    return _list_page(request, session, endpoints)


@router.post("/webhooks")
async def create(request: Request, session: Session = Depends(current_session)) -> Response:
    form = await checked_form(request, session)
    values = {
        "url": str(form.get("url") or "").strip(),
        "description": str(form.get("description") or ""),
        "events": [e for e in form.getlist("events") if isinstance(e, str)],
    }
    db = request.app.state.db
    try:
        try:
            body = CreateWebhookRequest.model_validate(values)
        except ValidationError as exc:
            raise validation_param(exc) from None
        created = await service.create_endpoint(
            db, session.principal, body, allow_private=_allow_private(request)
        )
    except InvalidParameter as exc:
        field = exc.param.split(".", 1)[0]
        problem = exc.message.removeprefix(f"{exc.param}: ")
        endpoints = await service.list_endpoints(db, session.principal)
        return _list_page(
            request, session, endpoints, errors={field: problem}, values=values, status_code=400
        )
    return render.redirect(request, f"/dashboard/webhooks/{created['id']}?notice=created")


@router.get("/webhooks/{webhook_id}")
async def endpoint(
    request: Request, webhook_id: str, session: Session = Depends(current_session)
) -> Response:
    db, principal = request.app.state.db, session.principal
    found = None
    if webhook_id != service.DEFAULT:
        found = await service.get_endpoint(db, principal, webhook_id)
    error = None
    try:
        log = await service.deliveries_page(
            db, principal, webhook_id, cursor_text=cursor_param(request.query_params),
            limit=LOG_PAGE,
        )  # fmt: skip
    except InvalidParameter as exc:
        error = exc.message
        log = await service.deliveries_page(
            db, principal, webhook_id, cursor_text=None, limit=LOG_PAGE
        )
    return render.page(
        request,
        "webhook.html",
        session,
        status_code=400 if error else 200,
        error=error,
        endpoint=found,
        receiver=webhook_id,
        log=log,
        notice=NOTICES.get(request.query_params.get("notice", "")),
    )


async def _act(request: Request, session: Session, webhook_id: str, action: str) -> str:
    db, principal = request.app.state.db, session.principal
    if action in ("disable", "enable"):
        body = UpdateWebhookRequest(disabled=action == "disable")
        await service.update_endpoint(db, principal, webhook_id, body, allow_private=True)
        return f"{action}d"
    if action == "rotate-secret":
        await service.rotate_secret(db, principal, webhook_id)
        return "rotated"
    if action == "test":
        await service.send_test(db, principal, webhook_id)
        return "tested"
    raise ServiceError("unknown action")


@router.post("/webhooks/{webhook_id}/delete")
async def delete(
    request: Request, webhook_id: str, session: Session = Depends(current_session)
) -> Response:
    await checked_form(request, session)
    await service.delete_endpoint(request.app.state.db, session.principal, webhook_id)
    return render.redirect(request, "/dashboard/webhooks?notice=deleted")


@router.post("/webhooks/{webhook_id}/{action}")
async def act(
    request: Request, webhook_id: str, action: str, session: Session = Depends(current_session)
) -> Response:
    """disable, enable, rotate-secret, test."""
    await checked_form(request, session)
    if action not in ("disable", "enable", "rotate-secret", "test"):
        raise ServiceError(f"unknown action {action[:40]!r}")
    notice = await _act(request, session, webhook_id, action)
    return render.redirect(request, f"/dashboard/webhooks/{webhook_id}?notice={notice}")


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    session: Session = Depends(current_session),
) -> Response:
    await checked_form(request, session)
    await service.redeliver(request.app.state.db, session.principal, webhook_id, delivery_id)
    return render.redirect(request, f"/dashboard/webhooks/{webhook_id}?notice=redelivered")
