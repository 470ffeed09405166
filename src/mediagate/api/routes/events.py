"""Task events: a task's timeline and live stream; the account's events as pages and live.

Streams are Server-Sent Events: `id:` the event id, `event:` its type, `data:` the event object,
written by FastAPI's SSE formatter. The response is Starlette's `StreamingResponse` rather than
FastAPI's generator endpoints (`EventSourceResponse`), which in FastAPI 0.163 run four tasks and
two memory streams per stream and log every client that hangs up as an unhandled error
(`BrokenResourceError`); here a stream is one task plus the disconnect listener, and a client
leaving just ends it. Everything that can refuse a stream (the key, the task, `Last-Event-ID`)
is checked before the response starts, so refusals are ordinary JSON errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.sse import format_sse_event
from starlette.responses import Response, StreamingResponse

from mediagate.accounts.repository import Principal
from mediagate.api import docs, responses
from mediagate.api.auth import require_principal
from mediagate.api.links import linker_for
from mediagate.api.query import DEFAULT_LIMIT, MAX_LIMIT, limit_param
from mediagate.events import ids, service
from mediagate.events.ids import Position
from mediagate.events.repository import Row
from mediagate.events.schemas import Event
from mediagate.events.serialize import event_object
from mediagate.tasks.serialize import Linker
from mediagate.tasks.watch import Watch

router = APIRouter(prefix="/api/v1", tags=["events"])
_TYPES_DOC = "Comma-separated event types to keep (" + ", ".join(service.TYPES) + "); default all."


def resume_position(request: Request) -> Position | None:
    """Where a stream resumes: `Last-Event-ID` (what browsers send on reconnecting), else
    `?after=`."""
    header = request.headers.get("last-event-id")
    if header is not None and header.strip():
        return ids.decode(header, "Last-Event-ID")
    after = request.query_params.get("after")
    return ids.decode(after, "after") if after else None


_KEEP_ALIVE = format_sse_event(comment="keep-alive")
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_EVENT_EXAMPLE = {
    "id": "evt_000000000000002a0000000000000107",
    "type": "task.succeeded",
    "created_at": "2026-12-01T10:00:07Z",
    "data": {"id": "task_Hc1...", "status": "succeeded", "progress": 100, "...": "..."},
}
_SSE_EXAMPLE = (
    f"event: task.succeeded\ndata: {{...the event object...}}\nid: {_EVENT_EXAMPLE['id']}\n\n"
    ": keep-alive\n\n"
)
#: One message of an event stream, as a client's SSE parser gives it (heartbeat comments aside):
#: `data` is the event object as JSON.
_SSE_MESSAGE = {
    "type": "object",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"type": "string", "enum": list(service.TYPES)},
        "id": {"type": "string", "pattern": "^evt_[0-9a-f]{32}$"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/Event"},
        },
    },
}
_BAD_POSITION = "A bad `after`, `Last-Event-ID` or `types` (`INVALID_PARAMETER`, naming it)."
_NO_TASK = "No such task in the key's account and mode (`TASK_NOT_FOUND`)."
_TIMELINE_DOC = docs.responses(200, "The task's events, oldest first.", [_EVENT_EXAMPLE],
                               {404: _NO_TASK}, model=list[Event])  # fmt: skip
_PAGE_DOC = docs.responses(200, "Events after `after`, oldest first.", [_EVENT_EXAMPLE],
                           {400: _BAD_POSITION}, listing=True, model=Event)  # fmt: skip
_TASK_STREAM_DOC = docs.responses(
    200, "Server-Sent Events; the stream ends after the task's final event.", _SSE_EXAMPLE,
    {400: _BAD_POSITION, 404: _NO_TASK}, media_type="text/event-stream", schema=_SSE_MESSAGE,
)  # fmt: skip
_ACCOUNT_STREAM_DOC = docs.responses(
    200, "Server-Sent Events, for as long as the client stays.", _SSE_EXAMPLE,
    {400: _BAD_POSITION}, media_type="text/event-stream", schema=_SSE_MESSAGE,
)  # fmt: skip


def _encode(row: Row | None, links: Linker | None) -> bytes:
    if row is None:
        return _KEEP_ALIVE
    event = event_object(row, links)
    return format_sse_event(
        data_str=orjson.dumps(event).decode(), event=event["type"], id=event["id"]
    )


async def _sse(
    rows: AsyncIterator[Row | None], links: Linker | None, watch: Watch | None, task_id: str
) -> AsyncIterator[bytes]:
    with watch.following(task_id) if watch is not None else contextlib.nullcontext():
        async for row in rows:
            yield _encode(row, links)


def stream_response(
    rows: AsyncIterator[Row | None], request: Request, task_id: str | None = None
) -> StreamingResponse:
    """The SSE response of `rows`; `task_id`: a task's stream, whose task is watched (polled
    sooner, `tasks.watch`) while it is open."""
    watch = getattr(request.app.state, "watch", None) if task_id is not None else None
    return StreamingResponse(
        _sse(rows, linker_for(request.scope), watch, task_id or ""),
        media_type="text/event-stream",
        headers=_SSE_HEADERS,
    )


@router.get("/tasks/{task_id}/events", responses=_TIMELINE_DOC)
async def task_events(
    request: Request, task_id: str, principal: Principal = Depends(require_principal)
) -> Response:
    """The task's timeline, oldest first."""
    links = linker_for(request.scope)
    return responses.ok(await service.timeline(request.app.state.db, principal, task_id, links))


@router.get("/tasks/{task_id}/stream", response_class=StreamingResponse, responses=_TASK_STREAM_DOC)
async def task_stream(
    request: Request,
    task_id: str,
    after: str | None = Query(None, description="Resume after this event id."),
    principal: Principal = Depends(require_principal),
) -> StreamingResponse:
    """The task's latest event, then each later one, ending after its final event."""
    state = request.app.state
    resume = resume_position(request)
    current = await service.latest(state.db, principal, task_id)
    rows = service.follow_task(
        state.db, state.events, principal, task_id, current, resume,
        state.settings.sse_heartbeat_seconds,
    )  # fmt: skip
    return stream_response(rows, request, task_id)


@router.get("/events", responses=_PAGE_DOC)
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


@router.get("/events/stream", response_class=StreamingResponse, responses=_ACCOUNT_STREAM_DOC)
async def events_stream(
    request: Request,
    after: str | None = Query(None, description="Resume after this event id."),
    types: str | None = Query(None, description=_TYPES_DOC),
    principal: Principal = Depends(require_principal),
) -> StreamingResponse:
    """The account's events as they happen (from `Last-Event-ID` or `after` when given)."""
    state = request.app.state
    kinds = service.parse_types(request.query_params.get("types"))
    resume = resume_position(request)
    rows = service.follow_account(
        state.db, state.events, principal, resume, kinds, state.settings.sse_heartbeat_seconds
    )
    return stream_response(rows, request)
