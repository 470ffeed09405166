"""`tasks.provider_job_id` becomes unbounded text: a synchronous provider (Seedream, Gemini
images) answers with its outputs at once, and its adapter keeps their URLs in the job id, so
they are stored in the same write as the submit's outcome.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths; only PostgreSQL's column needs changing.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("tasks", "provider_job_id", type_=sa.Text, existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("tasks", "provider_job_id", type_=sa.String(200), existing_nullable=True)
