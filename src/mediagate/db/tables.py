"""The schema, as SQLAlchemy Core tables. Migrations under `migrations/` create it.

Timestamps are integer microseconds since the epoch (see `mediagate.core.clock`); JSON documents
are stored as text written by orjson, so the read path can pass them through unparsed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    # The first characters of the key, kept to let people recognise and revoke it.
    Column("prefix", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("mode", String(8), nullable=False),  # live | test
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_api_keys_prefix", "prefix"),
    Index("ix_api_keys_account", "account_id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("sandbox", Integer, nullable=False, server_default="0"),
    Column("type", String(16), nullable=False),
    Column("model", String(100), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("queue_position", Integer, nullable=False, server_default="-1"),
    Column("eta_seconds", Integer, nullable=False, server_default="-1"),
    # Money in millionths of the currency unit: exact sums, rendered as a JSON number.
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
    Column("input", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    Column("result", Text),
    Column("error_code", String(40)),
    Column("error_message", Text),
    Column("callback_url", Text),
    Column("timeout_s", Integer, nullable=False),
    Column("idempotency_key", String(255)),
    Column("request_hash", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("started_at", BigInteger),
    Column("completed_at", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    # The engine's bookkeeping (never shown to clients). A task is due when `run_at` has come
    # and no live lease covers it; `run_at` is NULL once the task is final.
    Column("run_at", BigInteger),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", BigInteger),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("client_ref", String(64)),
    Column("submit_started_at", BigInteger),
    Column("provider_job_id", Text),
    Column("cancel_requested", Integer, nullable=False, server_default="0"),
    Column("deadline_at", BigInteger),
    Column("last_error", Text),
    Index(
        "ix_tasks_succeeded_completed",
        "completed_at",
        postgresql_where=text("status = 'succeeded'"),
        sqlite_where=text("status = 'succeeded'"),
    ),
    Index(
        "ix_tasks_pending_queue",
        "provider",
        "run_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_tasks_due_by_provider",
        "provider",
        "run_at",
        postgresql_where=text("run_at IS NOT NULL"),
        sqlite_where=text("run_at IS NOT NULL"),
    ),
    # Listing: every filter is an equality on one column plus the keyset order.
    Index("ix_tasks_account_created", "account_id", "created_at", "id"),
    Index("ix_tasks_account_status_created", "account_id", "status", "created_at", "id"),
    Index("ix_tasks_account_provider_created", "account_id", "provider", "created_at", "id"),
    Index("ix_tasks_account_model_created", "account_id", "model", "created_at", "id"),
    Index("ux_tasks_account_idempotency", "account_id", "idempotency_key", unique=True),
)

# Listing totals. Counting the matching rows of `tasks` costs time in proportion to the
# matches (a million tasks: hundreds of milliseconds), so totals are kept as counts per
# (account, UTC day of creation, status, model, provider). Triggers on `tasks` append +1/-1
# rows to `task_count_deltas` (append-only: concurrent writers never contend on a counter row);
# a compactor folds them into `task_counts`. A total is the sum over both tables.
COUNT_DAY_US = 86_400_000_000

task_counts = Table(
    "task_counts",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("day", BigInteger, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("model", String(100), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

task_count_deltas = Table(
    "task_count_deltas",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("day", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("model", String(100), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_task_count_deltas_account", "account_id"),
)

#: Secrets the gateway makes for itself on first start (the URL-signing key), shared by every
#: process on the database.
gateway_secrets = Table(
    "gateway_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
