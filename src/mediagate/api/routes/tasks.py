"""`/api/v1/tasks`: create, get, list, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import responses
from mediagate.api.auth import bearer_secret, require_principal
from mediagate.api.body import parse_json
from mediagate.api.links import linker_for
from mediagate.api.query import list_params
from mediagate.providers.egress import check_public_url
from mediagate.tasks import service
from mediagate.tasks.schemas import CreateTaskRequest

router = APIRouter(prefix="/api/v1", tags=["tasks"])

_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CreateTaskRequest.model_json_schema()}},
    }
}


@router.post("/tasks", status_code=202, openapi_extra=_CREATE_BODY)
async def create_task(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Submit a task; answers at once with the task, `pending`."""
    body = parse_json(await request.body(), CreateTaskRequest)
    if body.callback_url is not None and not request.app.state.settings.fetch_private_urls:
        await check_public_url(body.callback_url, "callback_url")
    created = await service.create(
        request.app.state.db,
        principal,
        body,
        request.headers.get("idempotency-key"),
        linker_for(request.scope),
        unavailable=request.app.state.providers.unavailable,
    )
    headers = {"Idempotent-Replayed": "true"} if created.replayed else None
    if not created.replayed:
        request.app.state.wakeup.notify_local()
    return responses.ok(created.task, status_code=202, headers=headers)


@router.get("/tasks/{task_id}")
async def get_task(request: Request, task_id: str) -> Response:
    """One task. Answered by `api.fastpath.FastTaskReads` before routing; this route declares
    the endpoint for the OpenAPI document and answers only if that middleware is absent."""
    task = await service.get_for_key(
        request.app.state.db, bearer_secret(request), task_id, linker_for(request.scope)
    )
    return responses.ok(task)


@router.get("/tasks")
async def list_tasks(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Tasks of the caller's account, newest first, with keyset pagination."""
    params = list_params(request.query_params)
    page = await service.list_page(
        request.app.state.db,
        principal,
        params.filters,
        cursor_text=params.cursor,
        limit=params.limit,
    )
    return responses.listing(
        page.items, cursor=page.cursor, has_more=page.has_more, total=page.total
    )


@router.post("/tasks/{task_id}/cancel")
async def cancel_task(
    request: Request, task_id: str, principal: Principal = Depends(require_principal)
) -> Response:
    """Cancel a task that has not finished; 409 once it is final."""
    task = await service.cancel(request.app.state.db, principal, task_id)
    request.app.state.wakeup.notify_local()  # a provider job may need cancelling
    return responses.ok(task)
