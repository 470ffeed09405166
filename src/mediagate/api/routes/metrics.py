"""`GET /metrics`: Prometheus text format; behind `MEDIAGATE_METRICS_TOKEN` when it is set."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from mediagate import metrics
from mediagate.api.auth import bearer_secret
from mediagate.config import Settings
from mediagate.core.errors import Unauthorized

router = APIRouter(tags=["health"])


def require_metrics_token(request: Request) -> None:
    """401 unless the request carries `Authorization: Bearer <MEDIAGATE_METRICS_TOKEN>` (no
    check when the setting is unset). Compared in constant time."""
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        return
    expected = settings.metrics_token.get_secret_value().encode()
    if not hmac.compare_digest(bearer_secret(request).encode(), expected):
        raise Unauthorized("the metrics token is wrong; send 'Authorization: Bearer <token>'")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format.",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        },
        401: {
            "description": "MEDIAGATE_METRICS_TOKEN is set and the request does not carry it "
            "(`UNAUTHORIZED`)."
        },
    },
    # The token is asked for only when the setting is set.
    openapi_extra={"security": [{}, {"bearer": []}]},
)
async def prometheus(request: Request) -> Response:
    require_metrics_token(request)
    await request.app.state.readiness.check()  # fresh `mediagate_ready` gauges
    body = await metrics.render(request.app.state.db)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
