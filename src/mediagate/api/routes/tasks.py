"""`/api/v1/tasks`: create, get, list, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import docs, responses
from mediagate.api.auth import bearer_secret, require_principal
from mediagate.api.body import parse_json
from mediagate.api.links import linker_for
from mediagate.api.query import LIST_PARAMETERS, list_params
from mediagate.providers.egress import check_public_url
from mediagate.tasks import service
from mediagate.tasks.schemas import CreateTaskRequest, Task

router = APIRouter(prefix="/api/v1", tags=["tasks"])

#: The body's schema is completed from the catalog when the document is made (`api.openapi`).
_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CreateTaskRequest.model_json_schema()}},
    }
}
_TASK_EXAMPLE = {
    "id": "task_V1StGXR8Z5jdHi6BmyT2",
    "type": "video",
    "status": "pending",
    "provider": "vidu",
    "model": "viduq3-turbo",
    "progress": 0,
    "queue_position": 3,
    "eta_seconds": 95,
    "cost": 0,
    "created_at": "2026-12-01T10:00:00Z",
    "started_at": None,
    "completed_at": None,
    "metadata": {"order": "A-17"},
    "sandbox": False,
    "input": {"prompt": "a fox in the snow", "duration": 4},
}
_NO_TASK = "No such task in the key's account and mode (`TASK_NOT_FOUND`)."
#: From a created task to what can be done with it (OpenAPI links).
_TASK_LINKS = {
    name: {"operationId": operation, "parameters": {"task_id": "$response.body#/data/id"}}
    for name, operation in (
        ("GetTask", "get_task"),
        ("CancelTask", "cancel_task"),
        ("TaskEvents", "task_events"),
    )
}


@router.post(
    "/tasks",
    status_code=202,
    openapi_extra=_CREATE_BODY,
    responses=docs.responses(
        202,
        "The task, `pending` (or, replaying an `Idempotency-Key`, the task it made first, "
        "with `Idempotent-Replayed: true`).",
        _TASK_EXAMPLE,
        {
            400: "A bad body, naming the field (`INVALID_PARAMETER`), or an unknown model "
            "(`MODEL_NOT_FOUND`).",
            402: "The account's credits, or the key's monthly spend limit, do not cover the "
            "task's hold (`INSUFFICIENT_CREDITS`).",
            409: "The `Idempotency-Key` was used with another body (`IDEMPOTENCY_CONFLICT`).",
        },
        model=Task,
        links=_TASK_LINKS,
    ),
)
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


@router.get(
    "/tasks/{task_id}",
    responses=docs.responses(200, "The task.", _TASK_EXAMPLE, {404: _NO_TASK}, model=Task),
)
async def get_task(request: Request, task_id: str) -> Response:
    """One task. Answered by `api.fastpath.FastTaskReads` before routing; this route declares
    the endpoint for the OpenAPI document and answers only if that middleware is absent."""
    task = await service.get_for_key(
        request.app.state.db, bearer_secret(request), task_id, linker_for(request.scope)
    )
    return responses.ok(task)


@router.get(
    "/tasks",
    openapi_extra=docs.parameters(*LIST_PARAMETERS),
    responses=docs.responses(
        200,
        "Tasks, newest first (without `input` and `result`).",
        [_TASK_EXAMPLE],
        {400: "A bad parameter, named (`INVALID_PARAMETER`)."},
        model=Task,
        listing=True,
    ),
)
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


@router.post(
    "/tasks/{task_id}/cancel",
    responses=docs.responses(
        200,
        "The task, `cancelled`.",
        {**_TASK_EXAMPLE, "status": "cancelled"},
        {404: _NO_TASK, 409: "The task is already final (`TASK_NOT_CANCELLABLE`)."},
        model=Task,
    ),
)
async def cancel_task(
    request: Request, task_id: str, principal: Principal = Depends(require_principal)
) -> Response:
    """Cancel a task that has not finished; 409 once it is final."""
    task = await service.cancel(request.app.state.db, principal, task_id)
    request.app.state.wakeup.notify_local()  # a provider job may need cancelling
    return responses.ok(task)
