"""Task events: a task's timeline and live stream; the account's events as pages and live.

Streams are Server-Sent Events (FastAPI's own): `id:` the event id, `event:` its type, `data:`
the event object. Everything that can refuse a stream (the key, the task, `Last-Event-ID`) is
checked in dependencies, before the response starts, so refusals are ordinary JSON errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import responses
from mediagate.api.auth import require_principal
from mediagate.api.links import linker_for
from mediagate.api.query import DEFAULT_LIMIT, MAX_LIMIT, limit_param
from mediagate.events import ids, service
from mediagate.events.ids import Position
from mediagate.events.repository import Row
from mediagate.events.serialize import event_object
from mediagate.tasks.serialize import Linker

router = APIRouter(prefix="/api/v1", tags=["events"])
_TYPES_DOC = "Comma-separated event types to keep (" + ", ".join(service.TYPES) + "); default all."


def _resume_position(request: Request) -> Position | None:
    """Where a stream resumes: `Last-Event-ID` (what browsers send on reconnecting), else
    `?after=`."""
    header = request.headers.get("last-event-id")
    if header is not None and header.strip():
        return ids.decode(header, "Last-Event-ID")
    after = request.query_params.get("after")
    return ids.decode(after, "after") if after else None


def _sse(row: Row | None, links: Linker | None) -> ServerSentEvent:
    if row is None:
        return ServerSentEvent(comment="keep-alive")
    event = event_object(row, links)
    return ServerSentEvent(
        id=event["id"], event=event["type"], raw_data=orjson.dumps(event).decode()
    )


@router.get("/tasks/{task_id}/events")
async def task_events(
    request: Request, task_id: str, principal: Principal = Depends(require_principal)
) -> Response:
    """The task's timeline, oldest first."""
    links = linker_for(request.scope)
    return responses.ok(await service.timeline(request.app.state.db, principal, task_id, links))


@dataclass
class _TaskStream:
    principal: Principal
    task_id: str
    current: Row
    after: Position | None


async def _task_stream(
    request: Request, task_id: str, principal: Principal = Depends(require_principal)
) -> _TaskStream:
    after = _resume_position(request)
    current = await service.latest(request.app.state.db, principal, task_id)
    return _TaskStream(principal, task_id, current, after)


@router.get("/tasks/{task_id}/stream", response_class=EventSourceResponse)
async def task_stream(
    request: Request,
    task_id: str,
    after: str | None = Query(None, description="Resume after this event id."),
    stream: _TaskStream = Depends(_task_stream),
) -> AsyncIterator[ServerSentEvent]:
    """The task's latest event, then each later one, ending after its final event."""
    state = request.app.state
    links = linker_for(request.scope)
    async for row in service.follow_task(
        state.db, state.events, stream.principal, stream.task_id, stream.current, stream.after,
        state.settings.sse_heartbeat_seconds,
    ):  # fmt: skip
        yield _sse(row, links)


@router.get("/events")
async def list_events(
    request: Request,
    after: str | None = Query(None, description="Events after this event id."),
    limit: str | None = Query(None, description=f"1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}."),
    types: str | None = Query(None, description=_TYPES_DOC),
    principal: Principal = Depends(require_principal),
) -> Response:
    """The account's events, oldest first, resumable with `after` (the last id seen)."""
    params = request.query_params
    page = await service.list_page(
        request.app.state.db,
        principal,
        after_text=params.get("after") or None,
        limit=limit_param(params),
        types=service.parse_types(params.get("types")),
        links=linker_for(request.scope),
    )
    return responses.listing(
        page.items, cursor=page.cursor, has_more=page.has_more, total=page.total
    )


@dataclass
class _AccountStream:
    principal: Principal
    after: Position | None
    types: tuple[str, ...] | None


async def _account_stream(
    request: Request, principal: Principal = Depends(require_principal)
) -> _AccountStream:
    types = service.parse_types(request.query_params.get("types"))
    return _AccountStream(principal, _resume_position(request), types)


@router.get("/events/stream", response_class=EventSourceResponse)
async def events_stream(
    request: Request,
    after: str | None = Query(None, description="Resume after this event id."),
    types: str | None = Query(None, description=_TYPES_DOC),
    stream: _AccountStream = Depends(_account_stream),
) -> AsyncIterator[ServerSentEvent]:
    """The account's events as they happen (from `Last-Event-ID` or `after` when given)."""
    state = request.app.state
    links = linker_for(request.scope)
    async for row in service.follow_account(
        state.db, state.events, stream.principal, stream.after, stream.types,
        state.settings.sse_heartbeat_seconds,
    ):  # fmt: skip
        yield _sse(row, links)
