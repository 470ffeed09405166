"""Task events (the durable log behind streams and webhooks), webhook endpoints, the accounts'
default webhook secrets, and webhook deliveries.

Triggers on `tasks` append an event in the same transaction as every change a client could see,
and a delivery for each webhook that wants it, so no change goes without its event and no event
without its change, whatever path wrote the task (the engine's fast path included).

An event's place in the log is `(tx_order, seq)`. SQLite has one writer at a time, so `seq` (its
rowid) is already the commit order and `tx_order` stays 0. On PostgreSQL transactions commit out
of `seq` order, so `tx_order` is the writing transaction's id, raised to the task's previous
event's when lower (a transaction that took its id before waiting for the task's row lock):
readers hand out only events whose `tx_order` is below the oldest transaction still running
(`events.repository`), and every event committed later has a `tx_order` at least that high, so
following the log in `(tx_order, seq)` order never skips one, and a task's events keep their
order.

`task.progress` is written at most about once a second per task: a progress change within a
second of the task's previous event writes none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SNAPSHOT = (
    "provider, status, progress, queue_position, eta_seconds, cost_micros, result, error_code, "
    "error_message, started_at, completed_at"
)
_EVENT_COLUMNS = f"tx_order, task_id, account_id, sandbox, type, {_SNAPSHOT}, created_at"
_NEW_SNAPSHOT = ", ".join(f"NEW.{c.strip()}" for c in _SNAPSHOT.split(","))
_DELIVERY_COLUMNS = (
    "account_id, sandbox, endpoint_id, callback_url, lane, event_seq, event_id, event_type, "
    "status, attempts, created_at, updated_at, run_at"
)
_WATCHED = ("status", "progress", "queue_position", "eta_seconds")
_CHANGED_PG = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _WATCHED)
_CHANGED_SQLITE = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
#: Types a callback_url receives; endpoints choose theirs (`webhook_endpoints.events`).
_CALLBACK_TYPES = "('task.queued', 'task.running', 'task.succeeded', 'task.failed', " \
    "'task.cancelled', 'task.expired')"  # fmt: skip

POSTGRES = [
    f"""
    CREATE FUNCTION mediagate_task_event() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        kind text;
        tx bigint := pg_current_xact_id()::text::bigint;
        now_us bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
        prev record;
        event_seq bigint;
        event_id text;
        delivered integer := 0;
        fanned integer := 0;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            kind := 'task.created';
        ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'pending' THEN
            kind := 'task.' || NEW.status;
        ELSE
            kind := 'task.progress';
        END IF;
        SELECT e.tx_order, e.created_at INTO prev FROM task_events e
            WHERE e.task_id = NEW.id ORDER BY e.tx_order DESC, e.seq DESC LIMIT 1;
        IF FOUND THEN
            IF kind = 'task.progress' AND prev.created_at > now_us - 1000000 THEN
                RETURN NULL;
            END IF;
            tx := greatest(tx, prev.tx_order);
        END IF;
        INSERT INTO task_events ({_EVENT_COLUMNS})
            VALUES (tx, NEW.id, NEW.account_id, NEW.sandbox, kind, {_NEW_SNAPSHOT}, now_us)
            RETURNING seq INTO event_seq;
        event_id := 'evt_' || lpad(to_hex(tx), 16, '0') || lpad(to_hex(event_seq), 16, '0');
        IF NEW.callback_url IS NOT NULL AND kind IN {_CALLBACK_TYPES} THEN
            INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS})
                VALUES (NEW.account_id, NEW.sandbox, NULL, NEW.callback_url,
                        'cb:' || NEW.account_id, event_seq, event_id, kind, 'pending', 0,
                        now_us, now_us, now_us);
            delivered := 1;
        END IF;
        INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS})
            SELECT e.account_id, e.sandbox, e.id, NULL, e.id, event_seq, event_id, kind,
                   'pending', 0, now_us, now_us, now_us
            FROM webhook_endpoints e
            WHERE e.account_id = NEW.account_id AND e.sandbox = NEW.sandbox AND e.disabled = 0
              AND e.events LIKE '%,' || kind || ',%';
        GET DIAGNOSTICS fanned = ROW_COUNT;
        PERFORM pg_notify('mediagate_events', '');
        IF delivered + fanned > 0 THEN
            PERFORM pg_notify('mediagate_deliveries', '');
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER tasks_event_insert AFTER INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION mediagate_task_event()
    """,
    f"""
    CREATE TRIGGER tasks_event_update AFTER UPDATE OF {", ".join(_WATCHED)} ON tasks
    FOR EACH ROW WHEN ({_CHANGED_PG}) EXECUTE FUNCTION mediagate_task_event()
    """,
]

_SQLITE_NOW = "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
# Inside a trigger, last_insert_rowid() is the seq of the event the trigger just wrote.
_SQLITE_LATEST = (
    "SELECT {column} FROM task_events WHERE task_id = NEW.id ORDER BY tx_order DESC, seq DESC "
    "LIMIT 1"
)
_SQLITE_EVENT_ID = "printf('evt_%016x%016x', 0, last_insert_rowid())"


def _sqlite_event(kind: str) -> str:
    event = (
        f"INSERT INTO task_events ({_EVENT_COLUMNS}) VALUES "
        f"(0, NEW.id, NEW.account_id, NEW.sandbox, {kind}, {_NEW_SNAPSHOT}, {_SQLITE_NOW});"
    )
    callback = (
        f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) SELECT NEW.account_id, "
        f"NEW.sandbox, NULL, NEW.callback_url, 'cb:' || NEW.account_id, last_insert_rowid(), "
        f"{_SQLITE_EVENT_ID}, {kind}, 'pending', 0, {_SQLITE_NOW}, {_SQLITE_NOW}, {_SQLITE_NOW} "
        f"WHERE NEW.callback_url IS NOT NULL AND {kind} IN {_CALLBACK_TYPES};"
    )
    # The callback's row (if any) changed last_insert_rowid(): read the event back by task.
    endpoints = (
        f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) SELECT e.account_id, e.sandbox, "
        f"e.id, NULL, e.id, ev.seq, printf('evt_%016x%016x', 0, ev.seq), {kind}, 'pending', 0, "
        f"{_SQLITE_NOW}, {_SQLITE_NOW}, {_SQLITE_NOW} FROM webhook_endpoints e, "
        f"({_SQLITE_LATEST.format(column='seq')}) ev "
        "WHERE e.account_id = NEW.account_id AND e.sandbox = NEW.sandbox AND e.disabled = 0 "
        f"AND e.events LIKE '%,' || {kind} || ',%';"
    )
    return f"{event} {callback} {endpoints}"


SQLITE = [
    f"CREATE TRIGGER tasks_event_insert AFTER INSERT ON tasks "
    f"BEGIN {_sqlite_event(repr('task.created'))} END",
    f"""
    CREATE TRIGGER tasks_event_status AFTER UPDATE OF {", ".join(_WATCHED)} ON tasks
    WHEN OLD.status IS NOT NEW.status AND NEW.status <> 'pending'
    BEGIN {_sqlite_event("'task.' || NEW.status")} END
    """,
    f"""
    CREATE TRIGGER tasks_event_progress AFTER UPDATE OF {", ".join(_WATCHED)} ON tasks
    WHEN ({_CHANGED_SQLITE}) AND (OLD.status IS NEW.status OR NEW.status = 'pending')
      AND ifnull(({_SQLITE_LATEST.format(column="created_at")}), 0) < {_SQLITE_NOW} - 1000000
    BEGIN {_sqlite_event("'task.progress'")} END
    """,
]


def upgrade() -> None:
    op.create_table(
        "task_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("tx_order", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column(
            "task_id",
            sa.String(64),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("sandbox", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("queue_position", sa.Integer, nullable=False),
        sa.Column("eta_seconds", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error_message", sa.Text),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("completed_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_task_events_task", "task_events", ["task_id", "tx_order", "seq"])
    op.create_index(
        "ix_task_events_account", "task_events", ["account_id", "sandbox", "tx_order", "seq"]
    )
    op.create_index("ix_task_events_log", "task_events", ["tx_order", "seq"])

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("sandbox", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        sa.Column("previous_secret_until", sa.BigInteger),
        sa.Column("disabled", sa.Integer, nullable=False, server_default="0"),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("failing_since", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_webhook_endpoints_account", "webhook_endpoints", ["account_id", "sandbox", "created_at"]
    )

    op.create_table(
        "webhook_secrets",
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        sa.Column("previous_secret_until", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("sandbox", sa.Integer, nullable=False),
        # NULL: a task's callback_url, signed with the account's default secret.
        sa.Column(
            "endpoint_id", sa.String(40), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
        ),
        sa.Column("callback_url", sa.Text),
        # Deliveries of one lane (an endpoint, or an account's callbacks) share its concurrency.
        sa.Column("lane", sa.String(64), nullable=False),
        sa.Column("event_seq", sa.BigInteger, sa.ForeignKey("task_events.seq", ondelete="CASCADE")),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        # The body of an event that is not in the log (webhook.test).
        sa.Column("payload", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("response_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("run_at", sa.BigInteger),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_expires_at", sa.BigInteger),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["run_at"],
        postgresql_where=sa.text("run_at IS NOT NULL"),
        sqlite_where=sa.text("run_at IS NOT NULL"),
    )
    # Deliveries in flight (a live lease), by lane: what a claim counts against lane limits.
    op.create_index(
        "ix_webhook_deliveries_leased",
        "webhook_deliveries",
        ["lease_expires_at", "lane"],
        postgresql_where=sa.text("run_at IS NOT NULL"),
        sqlite_where=sa.text("run_at IS NOT NULL"),
    )
    op.create_index(
        "ix_webhook_deliveries_log", "webhook_deliveries", ["account_id", "endpoint_id", "seq"]
    )
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_seq"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)
    # Tasks made before the log began get one event: their state now (a stream starts there).
    tx = "pg_current_xact_id()::text::bigint" if postgres else "0"
    op.execute(
        f"INSERT INTO task_events ({_EVENT_COLUMNS}) SELECT {tx}, id, account_id, sandbox, "
        "CASE status WHEN 'pending' THEN 'task.created' ELSE 'task.' || status END, "
        f"{_SNAPSHOT}, updated_at FROM tasks ORDER BY created_at, id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tasks_event_update ON tasks")
        op.execute("DROP TRIGGER tasks_event_insert ON tasks")
        op.execute("DROP FUNCTION mediagate_task_event()")
    else:
        for name in ("tasks_event_insert", "tasks_event_status", "tasks_event_progress"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_secrets")
    op.drop_table("webhook_endpoints")
    op.drop_table("task_events")
