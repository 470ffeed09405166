"""Setting a key's monthly spend limit (enforced at create by the hold trigger, migration 0007)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from mediagate.billing import repository
from mediagate.billing.holds import month_start
from mediagate.core.clock import now_us


async def set_limit(conn: AsyncConnection, key_id: str, account_id: str, limit: int | None) -> int:
    """Set or clear (None) a key's limit, in the caller's write transaction; what is committed
    against it this month. A new limit starts from the month's spending so far: the costs of the
    key's live tasks created this month, plus the most of those still unfinished (reserved
    from now on, so that their settlement counts their real cost)."""
    month = month_start(now_us())
    current, _ = await repository.key_limit(conn, key_id, month)
    if limit is None or current is not None:  # clearing it, or changing a running count
        await repository.set_key_limit(conn, key_id, limit, month, None)
        return (await repository.key_limit(conn, key_id, month))[1]
    await repository.set_key_limit(conn, key_id, limit, month, 0)
    unfinished = await repository.reserve_unfinished_for_limit(conn, key_id, month)
    spent = await repository.cost_since(
        conn, account_id, sandbox=False, first_day=repository.day_of(month), key_id=key_id
    )
    await repository.set_key_limit(conn, key_id, limit, month, spent + unfinished)
    return spent + unfinished
