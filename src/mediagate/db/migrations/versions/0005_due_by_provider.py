"""The due-task index leads with the provider: a worker claims each provider's earliest due
tasks up to that provider's free slots, in one statement, and each provider's share is a
short walk of its own part of the index instead of a filter over every due task.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WHERE = {
    "postgresql_where": sa.text("run_at IS NOT NULL"),
    "sqlite_where": sa.text("run_at IS NOT NULL"),
}


def upgrade() -> None:
    op.create_index("ix_tasks_due_by_provider", "tasks", ["provider", "run_at"], **_WHERE)
    op.drop_index("ix_tasks_due", "tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_due", "tasks", ["run_at"], **_WHERE)
    op.drop_index("ix_tasks_due_by_provider", "tasks")
