"""`GET /metrics`: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from mediagate import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    body = await metrics.render(request.app.state.db)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
