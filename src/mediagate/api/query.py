"""Query-string parsing for listings: every bad value is a 400 that names the parameter."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import QueryParams

from mediagate.api.docs import query
from mediagate.core.clock import parse_iso
from mediagate.core.errors import InvalidParameter
from mediagate.tasks import statuses
from mediagate.tasks.repository import ListFilters

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class ListParams:
    filters: ListFilters
    cursor: str | None
    limit: int


def _text(params: QueryParams, name: str, max_len: int) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not value or len(value) > max_len:
        raise InvalidParameter(name, f"must be 1 to {max_len} characters")
    if not value.isprintable():
        raise InvalidParameter(name, "must not contain control characters")
    return value


def limit_param(params: QueryParams) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT or not raw.strip().isdigit():
        raise InvalidParameter("limit", f"must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
    return value


def date_param(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except (ValueError, OverflowError):
        raise InvalidParameter(
            name, f"must be an ISO 8601 date or date-time (2026-01-15T10:00:00Z), got {raw!r}"
        ) from None


def list_params(params: QueryParams) -> ListParams:
    status = params.get("status")
    if status is not None and status not in statuses.ALL:
        raise InvalidParameter("status", f"must be one of {', '.join(statuses.ALL)}")
    start, end = date_param(params, "startDate"), date_param(params, "endDate")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("startDate", "is after endDate")
    filters = ListFilters(
        status=status,
        provider=_text(params, "provider", 40),
        model=_text(params, "modelId", 100),
        created_from=start,
        created_before=end,
        id_prefix=_text(params, "search", 64),
    )
    return ListParams(filters, cursor_param(params), limit_param(params))


def cursor_param(params: QueryParams) -> str | None:
    return _text(params, "cursor", CURSOR_MAX)


CURSOR_MAX = 200
_DATE = {"type": "string", "format": "date-time"}
LIMIT_DOC = query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "Items per page.",
)
CURSOR_DOC = query(
    "cursor",
    {"type": "string", "minLength": 1, "maxLength": CURSOR_MAX},
    "`pagination.cursor` of the previous page.",
)
START_DATE_DOC = query("startDate", _DATE, "Created at or after (ISO 8601).")
END_DATE_DOC = query("endDate", _DATE, "Created before (ISO 8601).")
#: What `list_params` reads.
LIST_PARAMETERS = (
    query("status", {"type": "string", "enum": list(statuses.ALL)}, "Only tasks in this status."),
    query("provider", {"type": "string", "minLength": 1, "maxLength": 40}, "Only this provider."),
    query("modelId", {"type": "string", "minLength": 1, "maxLength": 100}, "Only this model."),
    START_DATE_DOC,
    END_DATE_DOC,
    query("search", {"type": "string", "minLength": 1, "maxLength": 64}, "A task id prefix."),
    LIMIT_DOC,
    CURSOR_DOC,
)
