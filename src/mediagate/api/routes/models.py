"""`/api/v1/models`: the catalog."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mediagate.accounts.repository import Principal
from mediagate.api import docs, responses
from mediagate.api.auth import require_principal
from mediagate.catalog import CATALOG
from mediagate.catalog.schemas import ModelInfo
from mediagate.catalog.spec import TASK_TYPES
from mediagate.core.errors import InvalidParameter

router = APIRouter(prefix="/api/v1", tags=["models"])


_EXAMPLE = {
    "id": "viduq3-turbo",
    "type": "video",
    "provider": "vidu",
    "description": "Vidu Q3 turbo: text or image to video.",
    "input_schema": {"type": "object", "properties": {"prompt": {"type": "string"}}},
    "price": {"amount": 0.05, "unit": "second", "currency": "USD"},
    "default_timeout_s": 900,
    "fallbacks": [],
    "available": True,
    "unavailable_reason": None,
}


@router.get(
    "/models",
    openapi_extra=docs.parameters(
        docs.query("type", {"type": "string", "enum": list(TASK_TYPES)}, "Only this task type."),
        docs.query("provider", {"type": "string"}, "Only this provider's models."),
    ),
    responses=docs.responses(
        200,
        "The models, all on one page.",
        [_EXAMPLE],
        {400: "A bad `type` (`INVALID_PARAMETER`)."},
        model=ModelInfo,
        listing=True,
    ),
)
async def list_models(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Every model with its type, provider, input JSON schema and price; `type` and `provider`
    filter the list. `available` says whether the caller's key can run it here: a sandbox
    key runs every built-in model (on the simulator) but no plugin's; a live key needs a
    configured provider, and `unavailable_reason` names the settings that are missing."""
    wanted_type = request.query_params.get("type")
    if wanted_type is not None and wanted_type not in TASK_TYPES:
        raise InvalidParameter("type", f"must be one of {', '.join(TASK_TYPES)}")
    wanted_provider = request.query_params.get("provider")
    unavailable = request.app.state.providers.unavailable
    items = []
    for spec in CATALOG:
        if (wanted_type is None or spec.type == wanted_type) and (
            wanted_provider is None or spec.provider == wanted_provider
        ):
            reason = unavailable(spec, sandbox=principal.sandbox)
            items.append({**spec.as_dict(), "available": not reason, "unavailable_reason": reason})
    return responses.listing(items, cursor=None, has_more=False, total=len(items))
