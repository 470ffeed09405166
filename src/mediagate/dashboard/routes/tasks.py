"""The tasks pages: the listing with the API's filters, one task (live), cancel, and the
new-task form generated from the model's input schema."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from mediagate.api.links import linker_for
from mediagate.api.query import list_params
from mediagate.catalog import CATALOG
from mediagate.core.errors import InvalidParameter, ServiceError, TaskNotFound
from mediagate.dashboard import forms, render
from mediagate.dashboard.security import checked_form, current_session
from mediagate.dashboard.sessions import Session
from mediagate.events import service as events
from mediagate.tasks import service, statuses
from mediagate.tasks.schemas import CreateTaskRequest
from mediagate.webhooks import service as webhooks

router = APIRouter(prefix="/dashboard", include_in_schema=False)

#: The listing filters, by the API's query names.
FILTERS = ("status", "modelId", "provider", "startDate", "endDate", "search")
NOTICES = {
    "cancelled": "The task was cancelled.",
    "not-cancellable": "The task has already finished; it cannot be cancelled.",
}


def _models_for(session: Session, unavailable: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": spec.id,
            "type": spec.type,
            "provider": spec.provider,
            "available": session.principal.sandbox or not unavailable(spec),
        }
        for spec in CATALOG
    ]


@router.get("/tasks")
async def task_list(request: Request, session: Session = Depends(current_session)) -> Response:
    # The filter form sends every field; an empty one means "any".
    params = QueryParams([(k, v) for k, v in request.query_params.multi_items() if v != ""])
    shown = {name: params.get(name, "") for name in FILTERS}
    error = None
    page = None
    try:
        parsed = list_params(params)
        page = await service.list_page(
            request.app.state.db,
            session.principal,
            parsed.filters,
            cursor_text=parsed.cursor,
            limit=parsed.limit,
        )
    except ServiceError as exc:
        error = exc.message
    return render.page(
        request,
        "tasks.html",
        session,
        status_code=400 if error else 200,
        page=page,
        error=error,
        filters=shown,
        statuses=statuses.ALL,
        models=sorted(spec.id for spec in CATALOG),
        providers=sorted({spec.provider for spec in CATALOG}),
        paged=bool(params.get("cursor")),
    )


@router.get("/tasks/new")
async def new_task(request: Request, session: Session = Depends(current_session)) -> Response:
    model_id = request.query_params.get("model") or "local-image"
    return _form_page(request, session, model_id, None)


def _form_page(
    request: Request,
    session: Session,
    model_id: str,
    fields: list[forms.Field] | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    spec = CATALOG.get(model_id)
    unavailable = request.app.state.providers.unavailable
    if spec is None:
        error, status_code, spec = f"There is no model {model_id!r}; pick one.", 400, None
    return render.page(
        request,
        "new_task.html",
        session,
        status_code=status_code,
        spec=spec,
        models=_models_for(session, unavailable),
        fields=fields if fields is not None else (forms.fields_for(spec) if spec else []),
        error=error,
        idempotency_key=secrets.token_urlsafe(18),
        unavailable=None if spec is None or session.principal.sandbox else unavailable(spec),
    )


@router.post("/tasks/new")
async def create_task(request: Request, session: Session = Depends(current_session)) -> Response:
    form = await checked_form(request, session)
    model_id = form.get("model")
    spec = CATALOG.get(model_id) if isinstance(model_id, str) else None
    if spec is None:
        return _form_page(request, session, str(model_id or ""), None, status_code=400)
    fields = forms.fields_for(spec, form)
    values = forms.to_input(fields)
    if any(f.error for f in fields):
        return _form_page(
            request, session, spec.id, fields, error="Some inputs need fixing.", status_code=400
        )
    key = form.get("idempotency_key")
    try:
        body = CreateTaskRequest(type=spec.type, model=spec.id, input=values)
        created = await service.create(
            request.app.state.db,
            session.principal,
            body,
            key if isinstance(key, str) and key else None,
            linker_for(request.scope),
            unavailable=request.app.state.providers.unavailable,
        )
    except ServiceError as exc:
        param = exc.param if isinstance(exc, InvalidParameter) else ""
        problem = exc.message.removeprefix(f"{param}: ") if param else exc.message
        if forms.attach_error(fields, param, problem):
            return _form_page(
                request, session, spec.id, fields, error="Some inputs need fixing.",
                status_code=400,
            )  # fmt: skip
        return _form_page(
            request, session, spec.id, fields, error=exc.message, status_code=exc.status_code
        )
    if not created.replayed:
        request.app.state.wakeup.notify_local()
    return render.redirect(request, f"/dashboard/tasks/{created.task['id']}")


@router.get("/tasks/{task_id}")
async def task_page(
    request: Request, task_id: str, session: Session = Depends(current_session)
) -> Response:
    db, principal = request.app.state.db, session.principal
    links = linker_for(request.scope)
    # Input and metadata come as raw JSON text for the API's encoder; the page reads them.
    task = orjson.loads(orjson.dumps(await service.get(db, principal, task_id, links)))
    try:
        timeline = await events.timeline(db, principal, task_id, links)
    except TaskNotFound:  # a task of the account's other mode: its events are that mode's
        timeline = []
    return render.page(
        request,
        "task.html",
        session,
        task=task,
        timeline=timeline,
        deliveries=await webhooks.task_deliveries(db, principal, task_id),
        cancellable=task["status"] in statuses.ACTIVE,
        notice=NOTICES.get(request.query_params.get("notice", "")),
        live=bool(timeline) and task["status"] not in statuses.FINAL,
    )


@router.post("/tasks/{task_id}/cancel")
async def cancel_task(
    request: Request, task_id: str, session: Session = Depends(current_session)
) -> Response:
    await checked_form(request, session)
    try:
        await service.cancel(request.app.state.db, session.principal, task_id)
    except ServiceError as exc:
        if exc.status_code != 409:
            raise
        return render.redirect(request, f"/dashboard/tasks/{task_id}?notice=not-cancellable")
    request.app.state.wakeup.notify_local()
    return render.redirect(request, f"/dashboard/tasks/{task_id}?notice=cancelled")
