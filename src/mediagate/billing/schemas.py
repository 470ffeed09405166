"""The account, ledger entry and usage objects as the API answers them (for the OpenAPI
document; answers are built by `billing.serialize`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Account(BaseModel):
    id: str
    name: str
    billing: Literal["prepaid", "postpaid"]
    balance: float
    held: float = Field(ge=0)
    available: float
    spent_this_month: float = Field(ge=0)


class LedgerEntry(BaseModel):
    id: str = Field(pattern=r"^led_[0-9a-f]{16}$")
    type: Literal["grant", "hold", "charge", "release"]
    amount: float
    balance_after: float
    task_id: str | None = None
    note: str | None = None
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class UsageGroup(BaseModel):
    group: str = Field(description="The day (YYYY-MM-DD), model, provider or key id.")
    tasks: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    cancelled: int = Field(ge=0)
    cost: float = Field(ge=0)
