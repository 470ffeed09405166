"""Engine bookkeeping on tasks (due time, lease, submit record, cancel flag, deadline) and the
gateway's own secrets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = [
    sa.Column("run_at", sa.BigInteger),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_expires_at", sa.BigInteger),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("client_ref", sa.String(64)),
    sa.Column("submit_started_at", sa.BigInteger),
    sa.Column("provider_job_id", sa.String(200)),
    sa.Column("cancel_requested", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deadline_at", sa.BigInteger),
    sa.Column("last_error", sa.Text),
]


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("tasks", column)
    # Tasks created before the engine existed: due now, with their deadline from creation.
    op.execute("UPDATE tasks SET deadline_at = created_at + CAST(timeout_s AS BIGINT) * 1000000")
    op.execute(
        "UPDATE tasks SET run_at = created_at WHERE status IN ('pending', 'queued', 'running')"
    )
    op.create_index(
        "ix_tasks_due",
        "tasks",
        ["run_at"],
        postgresql_where=sa.text("run_at IS NOT NULL"),
        sqlite_where=sa.text("run_at IS NOT NULL"),
    )
    op.create_index(  # a pending task's queue position counts the pending tasks ahead of it
        "ix_tasks_pending_queue",
        "tasks",
        ["provider", "run_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(  # retention finds succeeded tasks by age
        "ix_tasks_succeeded_completed",
        "tasks",
        ["completed_at"],
        postgresql_where=sa.text("status = 'succeeded'"),
        sqlite_where=sa.text("status = 'succeeded'"),
    )
    op.create_table(
        "gateway_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gateway_secrets")
    op.drop_index("ix_tasks_due", "tasks")
    op.drop_index("ix_tasks_succeeded_completed", "tasks")
    op.drop_index("ix_tasks_pending_queue", "tasks")
    with op.batch_alter_table("tasks") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column.name)
