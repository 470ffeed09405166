"""Per-account fairness settings (`mediagate accounts set`): how many of an account's tasks may
be in flight at one provider, and its share of a provider's turns. The claim reads them
(`engine.repository.claim`), so a change applies from the next claim on."""

from __future__ import annotations

from typing import Any, Literal

from mediagate.accounts import repository
from mediagate.accounts.fairness import MAX_SHARE
from mediagate.accounts.repository import AccountLimits
from mediagate.db import Database

MAX_CONCURRENCY = 1_000_000
#: `concurrency=DEFAULT`: back to the settings' default (`MEDIAGATE_ACCOUNT_CONCURRENCY`).
DEFAULT: Literal["default"] = "default"


class LimitError(Exception):
    """A setting that cannot be made; the message says why."""


async def set_limits(
    db: Database,
    account: str,
    *,
    concurrency: int | Literal["default"] | None = None,
    share: int | None = None,
) -> AccountLimits:
    """Change what is given (None: leave it): `concurrency` N (>= 1), 0 for no limit, or
    `DEFAULT`; `share` 1 to `MAX_SHARE`. Returns the account's settings after the change."""
    values = _values(concurrency, share)
    async with db.write() as conn:
        found = await repository.limits_by_name(conn, account.strip())
        if found is None:
            raise LimitError(f"no account named {account!r}")
        if values:
            await repository.update_limits(conn, found.account_id, values)
            found = await repository.limits_by_name(conn, found.name)
    assert found is not None
    return found


def _values(concurrency: int | Literal["default"] | None, share: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if concurrency == DEFAULT:
        values["max_concurrency"] = None
    elif concurrency is not None:
        if isinstance(concurrency, bool) or not 0 <= concurrency <= MAX_CONCURRENCY:
            raise LimitError(f"the concurrency must be 1 to {MAX_CONCURRENCY} (0: no limit)")
        values["max_concurrency"] = concurrency
    if share is not None:
        if isinstance(share, bool) or not 1 <= share <= MAX_SHARE:
            raise LimitError(f"the share must be 1 to {MAX_SHARE}")
        values["share"] = share
    return values


def describe(limits: AccountLimits, default_concurrency: int) -> str:
    """One line for people: the limit in force and the share."""
    if limits.max_concurrency is None:
        fallback = default_concurrency or "none"
        limit = f"the default (MEDIAGATE_ACCOUNT_CONCURRENCY: {fallback})"
    elif limits.max_concurrency == 0:
        limit = "none"
    else:
        limit = f"{limits.max_concurrency} per provider"
    return f"account {limits.name!r}: concurrency limit {limit}, share {limits.share}"
