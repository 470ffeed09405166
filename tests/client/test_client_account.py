"""`client.account` and `client.usage` through `Client` and `AsyncClient`, against a real gateway
with workers on SQLite and on PostgreSQL: account fields postpaid and prepaid, the ledger across
pages, usage per day, model and key, and the typed errors of a 402 and of a bad groupBy."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from client_support import FAILING_VIDEO, SMALL, Gateway

from helpers import insert_tasks
from mediagate import (
    Account,
    AsyncClient,
    Client,
    ConfigurationError,
    InsufficientCredits,
    InvalidParameter,
    LedgerEntry,
    Task,
    TaskFailed,
    UsageRow,
)
from mediagate.accounts import service as accounts
from mediagate.billing import service as billing
from mediagate.core.clock import now_us
from mediagate.db import Database

MICROS = 1_000_000
DAY_US = 86_400 * MICROS
IMAGE_PRICE = 0.002  # local-image, per image


@dataclass
class Holder:
    """An account made for one test, with its keys (secrets and ids)."""

    gateway: Gateway
    name: str
    id: str
    keys: list[accounts.CreatedKey]

    def client(self, n: int = 0) -> Client:
        return Client(base_url=self.gateway.base_url, api_key=self.keys[n].secret)

    def async_client(self) -> AsyncClient:
        return AsyncClient(base_url=self.gateway.base_url, api_key=self.keys[0].secret)


def _holder(gw: Gateway, *, grants: tuple[int, ...] = (), keys: int = 1) -> Holder:
    """A new account with `keys` keys, granted each amount (micros) of `grants` in turn."""
    name = f"acct-{secrets.token_hex(5)}"

    async def make() -> Holder:
        db = Database(gw.settings.database)
        try:
            made = [await accounts.create_key(db, account=name) for _ in range(keys)]
            for n, micros in enumerate(grants):
                await billing.grant(db, name, micros, f"grant {n}")
            return Holder(gw, name, made[0].account_id, made)
        finally:
            await db.close()

    return asyncio.run(make())


def _run(client: Client, model: str = "local-image", **extra: object) -> Task:
    """A small task of `model`, waited for."""
    kind = {"local-image": "image", "local-audio": "audio", "local-video": "video"}[model]
    small = dict(SMALL[kind][1], prompt="a fox", **extra)
    return client.tasks.wait(client.tasks.create(type=kind, model=model, input=small), timeout=60)


def test_a_postpaid_account_and_its_empty_ledger(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway)
    with holder.client() as client:
        account = client.account.get()
        ledger = client.account.ledger()
        entries = list(ledger)
        usage = client.usage()
    assert account == Account(
        id=holder.id, name=holder.name, billing="postpaid", balance=0, held=0, available=0,
        spent_this_month=0,
    )  # fmt: skip
    assert entries == [] and ledger.total == 0 and usage == []


def test_a_prepaid_account_its_charges_and_its_ledger_across_pages(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway, grants=(MICROS, 500_000, 250_000))
    with holder.client() as client:
        assert client.account.get().billing == "prepaid"
        done = [_run(client), _run(client)]
        account = client.account.get()
        everything = list(client.account.ledger(limit=100))
        listing = client.account.ledger(limit=2)
        pages = list(listing.pages())
        rest = list(client.account.ledger(limit=2, cursor=pages[0].pagination.cursor))

    assert (account.balance, account.held, account.available) == (1.746, 0, 1.746)
    assert account.spent_this_month == pytest.approx(2 * IMAGE_PRICE)
    assert all(isinstance(e, LedgerEntry) for e in everything)
    # Newest first: each task's charge after its hold, the grants first of all (oldest).
    kinds = [(e.type, e.amount, e.task_id, e.note) for e in reversed(everything)]
    assert kinds == [
        ("grant", 1.0, None, "grant 0"),
        ("grant", 0.5, None, "grant 1"),
        ("grant", 0.25, None, "grant 2"),
        ("hold", IMAGE_PRICE, done[0].id, None),
        ("charge", IMAGE_PRICE, done[0].id, None),
        ("hold", IMAGE_PRICE, done[1].id, None),
        ("charge", IMAGE_PRICE, done[1].id, None),
    ]
    assert everything[0].balance_after == account.balance
    assert len({e.id for e in everything}) == 7
    # Pages of two: four pages, each with a new cursor but the last, together the whole ledger.
    assert [len(p.data) for p in pages] == [2, 2, 2, 1] and listing.total == 7
    assert [p.pagination.has_more for p in pages] == [True, True, True, False]
    assert len({p.pagination.cursor for p in pages[:-1]}) == 3 and not pages[-1].pagination.cursor
    assert [e for p in pages for e in p.data] == everything
    assert rest == everything[2:]  # resumed after the first page


def test_usage_per_model_key_and_provider(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway, grants=(MICROS,), keys=2)
    with holder.client(0) as first, holder.client(1) as second:
        images = [_run(first), _run(first)]
        audio = _run(second, "local-audio")
        with pytest.raises(TaskFailed) as failed:
            second.tasks.wait(
                second.tasks.create(
                    type="video", model="local-video", input={"prompt": "x", **FAILING_VIDEO}
                )
            )
        by_model = first.usage(group_by="model")
        by_key = second.usage(group_by="key")
        by_provider = first.usage(group_by="provider")
        by_day = second.usage()

    assert audio.cost > 0 and [t.cost for t in images] == [IMAGE_PRICE, IMAGE_PRICE]
    assert by_model == [
        UsageRow(group="local-audio", tasks=1, succeeded=1, failed=0, cancelled=0, cost=audio.cost),
        UsageRow(group="local-image", tasks=2, succeeded=2, failed=0, cancelled=0, cost=0.004),
        UsageRow(group="local-video", tasks=1, succeeded=0, failed=1, cancelled=0, cost=0),
    ]
    first_key, second_key = (k.key_id for k in holder.keys)
    assert {row.group: (row.tasks, row.succeeded, row.failed, row.cost) for row in by_key} == {
        first_key: (2, 2, 0, 0.004),
        second_key: (2, 1, 1, audio.cost),
    }
    assert [(r.group, r.tasks, r.succeeded, r.failed) for r in by_provider] == [("local", 4, 3, 1)]
    made = [*images, audio, failed.value.task]
    assert [r.group for r in by_day] == sorted({t.created_at.date().isoformat() for t in made})
    assert sum(r.tasks for r in by_day) == 4
    assert sum(r.cost for r in by_day) == pytest.approx(0.004 + audio.cost)


def test_usage_per_day_between_dates(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway)
    now = now_us()

    async def insert() -> None:
        db = Database(any_gateway.settings.database)
        try:
            await insert_tasks(db, holder.id, 2, created_at=now - 5 * DAY_US, status="failed")
            await insert_tasks(db, holder.id, 1, created_at=now - 5 * DAY_US, status="cancelled")
            await insert_tasks(db, holder.id, 3, created_at=now - 2 * DAY_US, status="succeeded")
        finally:
            await db.close()

    asyncio.run(insert())
    today = datetime.now(UTC).date()
    five, two = (today - timedelta(days=5)).isoformat(), (today - timedelta(days=2)).isoformat()
    with holder.client() as client:
        last_30_days = client.usage()
        first_only = client.usage(end_date=today - timedelta(days=3))  # a date
        second_only = client.usage(start_date=datetime.now(UTC) - timedelta(days=3))  # a datetime
        one_day = client.usage(start_date=two, end_date=two, group_by="day")  # ISO text
        with pytest.raises(InvalidParameter, match="groupBy"):
            client.usage(group_by="week")
        with pytest.raises(InvalidParameter, match="startDate"):
            client.usage(start_date=today, end_date=date(2020, 1, 1))
        with pytest.raises(ConfigurationError):
            client.usage(start_date=20260101)  # type: ignore[arg-type]

    days = [(r.group, r.tasks, r.succeeded, r.failed, r.cancelled) for r in last_30_days]
    assert days == [(five, 3, 0, 2, 1), (two, 3, 3, 0, 0)]
    assert [r.group for r in first_only] == [five]
    assert [r.group for r in second_only] == [two] == [r.group for r in one_day]


def test_a_task_the_credits_do_not_cover_raises_insufficient_credits(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway, grants=(1_000,))  # 0.001: half an image
    with holder.client() as client:
        with pytest.raises(InsufficientCredits) as raised:
            client.tasks.create(type="image", model="local-image", input={"prompt": "a fox"})
        account = client.account.get()
        tasks = list(client.tasks.list())
        entries = list(client.account.ledger())
    assert raised.value.status_code == 402 and raised.value.code == "INSUFFICIENT_CREDITS"
    assert "0.002" in raised.value.message and "0.001" in raised.value.message
    assert (account.balance, account.held, account.available) == (0.001, 0, 0.001)
    assert tasks == [] and [e.type for e in entries] == ["grant"]


def test_async_account_ledger_usage_and_errors(any_gateway: Gateway) -> None:
    holder = _holder(any_gateway, grants=(2_000, 1_000))  # one image, then half of one

    async def scenario() -> None:
        async with holder.async_client() as client:
            image = {"prompt": "a fox"}
            task = await client.tasks.create(type="image", model="local-image", input=image)
            await client.tasks.wait(task, timeout=60)
            account = await client.account.get()
            entries = [e async for e in client.account.ledger(limit=1)]
            pages = [p async for p in client.account.ledger(limit=3).pages()]
            rows = await client.usage(group_by="model", start_date=datetime.now(UTC).date())
            with pytest.raises(InvalidParameter):
                await client.usage(group_by="color")
            with pytest.raises(InsufficientCredits):
                await client.tasks.create(type="image", model="local-image", input=image)

        assert (account.billing, account.balance, account.held) == ("prepaid", 0.001, 0)
        assert [e.type for e in entries] == ["charge", "hold", "grant", "grant"]
        assert [len(p.data) for p in pages] == [3, 1] and pages[0].data == entries[:3]
        assert rows == [
            UsageRow(group="local-image", tasks=1, succeeded=1, failed=0, cancelled=0, cost=0.002)
        ]

    asyncio.run(scenario())
