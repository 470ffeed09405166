"""Accounts, API keys and tasks.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"])
    op.create_index("ix_api_keys_account", "api_keys", ["account_id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("sandbox", sa.Integer, nullable=False, server_default="0"),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("queue_position", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("eta_seconds", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("cost_micros", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error_message", sa.Text),
        sa.Column("callback_url", sa.Text),
        sa.Column("timeout_s", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("request_hash", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("completed_at", sa.BigInteger),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    for name, columns in (
        ("ix_tasks_account_created", ["account_id", "created_at", "id"]),
        ("ix_tasks_account_status_created", ["account_id", "status", "created_at", "id"]),
        ("ix_tasks_account_provider_created", ["account_id", "provider", "created_at", "id"]),
        ("ix_tasks_account_model_created", ["account_id", "model", "created_at", "id"]),
    ):
        op.create_index(name, "tasks", columns)
    op.create_index(
        "ux_tasks_account_idempotency", "tasks", ["account_id", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_table("tasks")
    op.drop_table("api_keys")
    op.drop_table("accounts")
