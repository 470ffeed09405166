"""The calls of `client.account` and `client.usage` as operations (see `_effects.py`)."""

from __future__ import annotations

from mediagate.client._api import Api
from mediagate.client._effects import Op
from mediagate.client._ops import DateLike, _iso
from mediagate.client._parse import validate
from mediagate.client.models import Account, LedgerEntry, Page, UsageRow


def usage_params(
    start_date: DateLike | None, end_date: DateLike | None, group_by: str
) -> dict[str, str]:
    """The query of `usage`; the gateway checks `group_by` (so a new grouping needs no new
    client)."""
    params = {"groupBy": group_by}
    if start_date is not None:
        params["startDate"] = _iso("start_date", start_date)
    if end_date is not None:
        params["endDate"] = _iso("end_date", end_date)
    return params


def get(api: Api) -> Op[Account]:
    answer = yield from api.call("GET", "account")
    return validate(Account, answer.data, "account")


def ledger_page(api: Api, cursor: str | None, limit: int | None) -> Op[Page[LedgerEntry]]:
    query: dict[str, str] = {} if limit is None else {"limit": str(limit)}
    if cursor:
        query["cursor"] = cursor
    answer = yield from api.call("GET", "account/ledger", params=query)
    page = {"data": answer.data, "pagination": answer.pagination}
    return validate(Page[LedgerEntry], page, "ledger")


def usage(api: Api, params: dict[str, str]) -> Op[list[UsageRow]]:
    answer = yield from api.call("GET", "usage", params=params)
    return validate(list[UsageRow], answer.data, "usage")
