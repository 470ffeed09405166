"""The live updates of the pages: the API's event streams (same code, same events), opened
with the session instead of a Bearer key, which `EventSource` cannot send."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from mediagate.api.routes.events import resume_position, stream_response
from mediagate.dashboard.security import current_session
from mediagate.dashboard.sessions import Session
from mediagate.events import service

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/events/stream")
async def account_stream(
    request: Request, session: Session = Depends(current_session)
) -> StreamingResponse:
    """The account's events from now on (what the tasks page follows)."""
    state = request.app.state
    rows = service.follow_account(
        state.db, state.events, session.principal, resume_position(request), None,
        state.settings.sse_heartbeat_seconds,
    )  # fmt: skip
    return stream_response(rows, request)


@router.get("/tasks/{task_id}/stream")
async def task_stream(
    request: Request, task_id: str, session: Session = Depends(current_session)
) -> StreamingResponse:
    """The task's latest event, then each later one, ending after its final event."""
    state = request.app.state
    current = await service.latest(state.db, session.principal, task_id)
    rows = service.follow_task(
        state.db, state.events, session.principal, task_id, current,
        resume_position(request), state.settings.sse_heartbeat_seconds,
    )  # fmt: skip
    return stream_response(rows, request, task_id)
