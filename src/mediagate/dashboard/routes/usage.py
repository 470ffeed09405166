"""The usage page: credits (balance, held, available), the ledger, spend per day as a chart,
and usage by model and by key."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.api.query import cursor_param
from mediagate.billing import service
from mediagate.core.clock import now_us
from mediagate.core.errors import ServiceError
from mediagate.dashboard import charts, render
from mediagate.dashboard.security import current_session
from mediagate.dashboard.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)
LEDGER_PAGE = 20


@router.get("/usage")
async def usage(request: Request, session: Session = Depends(current_session)) -> Response:
    db, principal = request.app.state.db, session.principal
    account = await service.account_for(db, principal)
    error = None
    try:
        ledger = await service.ledger(
            db, principal, cursor_text=cursor_param(request.query_params), limit=LEDGER_PAGE
        )
    except ServiceError as exc:
        error, ledger = (
            exc.message,
            await service.ledger(db, principal, cursor_text=None, limit=LEDGER_PAGE),
        )
    by_day = await service.usage(db, principal, start=None, end=None, group_by="day")
    days = charts.last_days(by_day, now_us(), service.DEFAULT_USAGE_DAYS)
    return render.page(
        request,
        "usage.html",
        session,
        status_code=400 if error else 200,
        error=error,
        account=account,
        ledger=ledger,
        days=days,
        chart=charts.spend_chart(days),
        by_model=await service.usage(db, principal, start=None, end=None, group_by="model"),
        by_key=await service.usage(db, principal, start=None, end=None, group_by="key"),
    )
