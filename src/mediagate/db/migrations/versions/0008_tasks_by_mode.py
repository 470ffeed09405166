"""Sandbox and live tasks are separate data: the listing indexes and the Idempotency-Key's
unique index lead with the account and the mode, so a page of one mode never walks the other
mode's tasks, and a live and a test key's uses of one Idempotency-Key are two different keys.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LISTING = (
    ("ix_tasks_account_created", ["created_at", "id"]),
    ("ix_tasks_account_status_created", ["status", "created_at", "id"]),
    ("ix_tasks_account_provider_created", ["provider", "created_at", "id"]),
    ("ix_tasks_account_model_created", ["model", "created_at", "id"]),
)
_IDEMPOTENCY = "ux_tasks_account_idempotency"


def _rebuild(mode: list[str]) -> None:
    for name, columns in _LISTING:
        op.drop_index(name, "tasks")
        op.create_index(name, "tasks", ["account_id", *mode, *columns])
    op.drop_index(_IDEMPOTENCY, "tasks")
    op.create_index(_IDEMPOTENCY, "tasks", ["account_id", *mode, "idempotency_key"], unique=True)


def upgrade() -> None:
    _rebuild(["sandbox"])


def downgrade() -> None:
    _rebuild([])
