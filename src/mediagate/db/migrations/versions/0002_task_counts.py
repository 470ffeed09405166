"""Listing totals: per-day task counts kept by triggers (see `tables.task_counts`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DAY = 86_400_000_000
_COLUMNS = "account_id, day, status, model, provider, n"
_WATCHED = ("status", "model", "provider", "account_id", "created_at")


def _row(ref: str, n: int) -> str:
    return (
        f"INSERT INTO task_count_deltas ({_COLUMNS}) VALUES ({ref}.account_id, "
        f"{ref}.created_at / {DAY}, {ref}.status, {ref}.model, {ref}.provider, {n});"
    )


POSTGRES = [
    f"""
    CREATE FUNCTION mediagate_task_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_row("OLD", -1)} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_row("NEW", 1)} END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER tasks_count_insert_delete AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION mediagate_task_count_delta()
    """,
    f"""
    CREATE TRIGGER tasks_count_update AFTER UPDATE OF {", ".join(_WATCHED)} ON tasks
    FOR EACH ROW WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _WATCHED)})
    EXECUTE FUNCTION mediagate_task_count_delta()
    """,
]

SQLITE = [
    f"CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN {_row('NEW', 1)} END",
    f"CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN {_row('OLD', -1)} END",
    f"""
    CREATE TRIGGER tasks_count_update AFTER UPDATE OF {", ".join(_WATCHED)} ON tasks
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)}
    BEGIN {_row("OLD", -1)} {_row("NEW", 1)} END
    """,
]


def upgrade() -> None:
    op.create_table(
        "task_counts",
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("day", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "task_count_deltas",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("day", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_index("ix_task_count_deltas_account", "task_count_deltas", ["account_id"])
    # Triggers first: on PostgreSQL creating them locks out writers to `tasks` until this
    # transaction commits, so the backfill below sees every task and misses none.
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute(
        f"INSERT INTO task_counts ({_COLUMNS}) "
        f"SELECT account_id, created_at / {DAY}, status, model, provider, count(*) FROM tasks "
        f"GROUP BY account_id, created_at / {DAY}, status, model, provider"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tasks_count_update ON tasks")
        op.execute("DROP TRIGGER tasks_count_insert_delete ON tasks")
        op.execute("DROP FUNCTION mediagate_task_count_delta()")
    else:
        for name in ("tasks_count_insert", "tasks_count_delete", "tasks_count_update"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("task_count_deltas")
    op.drop_table("task_counts")
