"""Heartbeats: when each worker's claim loop last ran without a database error, and when an
API process last wrote the database, for the readiness check (`GET /readyz`). Rate buckets:
the per-key request rate limit's token buckets, shared by every API process on PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_heartbeats_at", "heartbeats", ["at"])
    op.create_table(
        "rate_buckets",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Double, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    op.drop_index("ix_heartbeats_at", "heartbeats")
    op.drop_table("heartbeats")
