"""`/api/v1/account`, `/api/v1/account/ledger`, `/api/v1/usage`: credits and usage."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import responses
from mediagate.api.auth import require_principal
from mediagate.api.docs import parameters, query
from mediagate.api.docs import responses as documented
from mediagate.api.query import (
    CURSOR_DOC,
    END_DATE_DOC,
    LIMIT_DOC,
    START_DATE_DOC,
    cursor_param,
    date_param,
    limit_param,
)
from mediagate.billing import service
from mediagate.billing.repository import USAGE_GROUPS
from mediagate.billing.schemas import Account, LedgerEntry, UsageGroup
from mediagate.core.errors import InvalidParameter

router = APIRouter(prefix="/api/v1", tags=["credits"])

_ACCOUNT = {
    "id": "acct_3fK9xQ2mL7pA",
    "name": "studio",
    "billing": "prepaid",
    "balance": 100.0,
    "held": 2.5,
    "available": 97.5,
    "spent_this_month": 12.75,
}
_ENTRY = {
    "id": "led_000000000000002a",
    "type": "charge",
    "amount": 0.4,
    "balance_after": 99.6,
    "task_id": "task_V1StGXR8Z5jdHi6BmyT2",
    "created_at": "2026-12-01T10:00:32Z",
}
_USAGE = [
    {"group": "2026-12-01", "tasks": 12, "succeeded": 10, "failed": 1, "cancelled": 1,
     "cost": 3.2},
]  # fmt: skip


@router.get(
    "/account",
    responses=documented(
        200, "The caller's account: billing mode and credits.", _ACCOUNT, {}, model=Account
    ),
)
async def get_account(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Balance, credits held for unfinished tasks, what is available, and this month's spend
    (in the key's mode: a sandbox key's is 0)."""
    return responses.ok(await service.account_for(request.app.state.db, principal))


@router.get(
    "/account/ledger",
    openapi_extra=parameters(LIMIT_DOC, CURSOR_DOC),
    responses=documented(
        200,
        "Ledger entries, newest first.",
        [_ENTRY],
        {400: "A bad `limit` or `cursor` (`INVALID_PARAMETER`)."},
        model=LedgerEntry,
        listing=True,
    ),
)
async def get_ledger(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """The credits ledger: grants, holds, charges and releases (live keys; a sandbox key's
    ledger is empty, sandbox tasks cost nothing)."""
    params = request.query_params
    page = await service.ledger(
        request.app.state.db,
        principal,
        cursor_text=cursor_param(params),
        limit=limit_param(params),
    )
    return responses.listing(
        page.items, cursor=page.cursor, has_more=page.has_more, total=page.total
    )


@router.get(
    "/usage",
    responses=documented(
        200,
        "Usage per group.",
        _USAGE,
        {400: "A bad `startDate`, `endDate` or `groupBy` (`INVALID_PARAMETER`)."},
        model=list[UsageGroup],
    ),
    openapi_extra=parameters(
        START_DATE_DOC,
        END_DATE_DOC,
        query(
            "groupBy",
            {"type": "string", "enum": list(USAGE_GROUPS), "default": "day"},
            "Group by UTC day of creation, model, provider or key.",
        ),
    ),
)
async def get_usage(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Tasks and cost per UTC day (of creation), model, provider or key, in the key's mode.
    `startDate` and `endDate` pick whole days (default: the last 30)."""
    params = request.query_params
    start, end = date_param(params, "startDate"), date_param(params, "endDate")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("startDate", "is after endDate")
    rows = await service.usage(
        request.app.state.db,
        principal,
        start=start,
        end=end,
        group_by=params.get("groupBy", "day"),
    )
    return responses.ok(rows)
