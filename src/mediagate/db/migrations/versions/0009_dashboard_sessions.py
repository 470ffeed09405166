"""Dashboard sessions: a browser's sign-in, kept on the server.

A session row holds the SHA-256 of the random id in the browser's cookie (never the id itself,
so a copy of the database opens no session), the API key it was opened with (its id: never the
key), the CSRF token of its forms and when it expires. Every request reads the key with the
session, so a revoked key ends its sessions at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "key_id",
            sa.String(40),
            sa.ForeignKey("api_keys.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_expires", "dashboard_sessions", ["expires_at"])
    op.create_index("ix_dashboard_sessions_key", "dashboard_sessions", ["key_id"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
