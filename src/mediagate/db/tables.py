"""The schema, as SQLAlchemy Core tables. Migrations under `migrations/` create it.

Timestamps are integer microseconds since the epoch (see `mediagate.core.clock`); JSON documents
are stored as text written by orjson, so the read path can pass them through unparsed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
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
    # Credits (migration 0007): postpaid until a first grant. Available = balance - held.
    Column("prepaid", Integer, nullable=False, server_default="0"),
    Column("balance_micros", BigInteger, nullable=False, server_default="0"),
    Column("held_micros", BigInteger, nullable=False, server_default="0"),
    # How many ledger entries the account has (the ledger listing's total, without a count).
    Column("ledger_count", BigInteger, nullable=False, server_default="0"),
    # Fairness: tasks in flight at one provider at most (NULL: the settings' default), and
    # the account's weight when several accounts wait for a provider's slots.
    Column("max_concurrency", Integer),
    Column("share", Integer, nullable=False, server_default="1"),
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
    # A monthly spend limit, and what is committed against it in `limit_month` (the month's
    # start, UTC): holds of the key's unfinished tasks plus the costs of its finished ones.
    Column("spend_limit_micros", BigInteger),
    Column("limit_month", BigInteger, nullable=False, server_default="0"),
    Column("limit_committed_micros", BigInteger, nullable=False, server_default="0"),
    Index("ix_api_keys_prefix", "prefix"),
    Index("ix_api_keys_account", "account_id"),
)

#: A task is started at its provider once its submit began or a claim leased it for that; its
#: steps are due by time. Until then it is fresh, and waits for its account's turn.
STARTED_SQL = (
    "run_at IS NOT NULL AND (status <> 'pending' OR submit_started_at IS NOT NULL "
    "OR lease_owner IS NOT NULL)"
)
#: In flight at its provider: what an account's concurrency limit counts.
IN_FLIGHT_SQL = (
    "status IN ('queued', 'running') OR (status = 'pending' AND "
    "(submit_started_at IS NOT NULL OR lease_owner IS NOT NULL))"
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
    # Billing (migration 0007): the most the task can cost (its charge's cap; NULL for tasks
    # made before), the credits held on the account and the amount reserved against the key's
    # monthly limit. A trigger settles both when the task becomes final.
    Column("max_cost_micros", BigInteger),
    Column("hold_micros", BigInteger, nullable=False, server_default="0"),
    Column("limit_hold_micros", BigInteger, nullable=False, server_default="0"),
    Index(
        "ix_tasks_succeeded_completed",
        "completed_at",
        postgresql_where=text("status = 'succeeded'"),
        sqlite_where=text("status = 'succeeded'"),
    ),
    # The claim (`engine.repository`): fresh pending tasks account by account, in turns; the
    # steps of started tasks by due time; each account's tasks in flight at a provider.
    Index(
        "ix_tasks_pending_by_account",
        "provider",
        "account_id",
        "run_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_tasks_due_started",
        "provider",
        "run_at",
        postgresql_where=text(STARTED_SQL),
        sqlite_where=text(STARTED_SQL),
    ),
    Index(
        "ix_tasks_in_flight",
        "provider",
        "account_id",
        postgresql_where=text(IN_FLIGHT_SQL),
        sqlite_where=text(IN_FLIGHT_SQL),
    ),
    # Listing: every filter is an equality on one column plus the keyset order, within one
    # account's tasks of one mode (sandbox and live data never mix; migration 0008).
    Index("ix_tasks_account_created", "account_id", "sandbox", "created_at", "id"),
    Index("ix_tasks_account_status_created", "account_id", "sandbox", "status", "created_at", "id"),
    Index(
        "ix_tasks_account_provider_created", "account_id", "sandbox", "provider", "created_at", "id"
    ),
    Index("ix_tasks_account_model_created", "account_id", "sandbox", "model", "created_at", "id"),
    Index("ux_tasks_account_idempotency", "account_id", "sandbox", "idempotency_key", unique=True),
)

#: Fair claims: whose turn it is at a provider. Each account's `pass` grows by 1 / share (in
#: `engine.repository.STRIDE` units) per task it submits; the row with account_id '' holds the
#: provider's clock (the last turn given), where accounts coming back from idle start.
claim_turns = Table(
    "claim_turns",
    metadata,
    Column("provider", String(40), primary_key=True),
    Column("account_id", String(40), primary_key=True),
    Column("pass", BigInteger, nullable=False),
)

# Listing totals and usage. Counting the matching rows of `tasks` costs time in proportion to the
# matches (a million tasks: hundreds of milliseconds), so totals are kept as counts per
# (account, mode, key, UTC day of creation, status, model, provider), with their summed cost.
# Triggers on `tasks` append +1/-1
# rows to `task_count_deltas` (append-only: concurrent writers never contend on a counter row);
# a compactor folds them into `task_counts`. A total is the sum over both tables.
COUNT_DAY_US = 86_400_000_000

task_counts = Table(
    "task_counts",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("sandbox", Integer, primary_key=True),
    Column("key_id", String(40), primary_key=True),
    Column("day", BigInteger, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("model", String(100), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
)

task_count_deltas = Table(
    "task_count_deltas",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("sandbox", Integer, nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("day", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("model", String(100), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("n", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
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

# Task events: written by triggers on `tasks` (migration 0006) in the transaction of the change.
# An event's place in the log is (tx_order, seq); see `mediagate.events.repository`.
task_events = Table(
    "task_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("tx_order", BigInteger, nullable=False, server_default="0"),
    Column("task_id", String(64), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("sandbox", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("queue_position", Integer, nullable=False),
    Column("eta_seconds", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("result", Text),
    Column("error_code", String(40)),
    Column("error_message", Text),
    Column("started_at", BigInteger),
    Column("completed_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_task_events_task", "task_id", "tx_order", "seq"),
    Index("ix_task_events_account", "account_id", "sandbox", "tx_order", "seq"),
    Index("ix_task_events_log", "tx_order", "seq"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("sandbox", Integer, nullable=False),
    Column("url", Text, nullable=False),
    # The event types it receives, as ",task.succeeded,task.failed," (the trigger matches LIKE).
    Column("events", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", BigInteger),
    Column("disabled", Integer, nullable=False, server_default="0"),
    Column("disabled_reason", Text),
    Column("failing_since", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_webhook_endpoints_account", "account_id", "sandbox", "created_at"),
)

#: Each account's default secret, which signs deliveries to its tasks' callback_url.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
)

#: One row per (event, receiver), written by the event trigger; claimed, leased and fenced by
#: workers like task steps. `run_at` is the next attempt (NULL once delivered or given up).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("sandbox", Integer, nullable=False),
    Column("endpoint_id", String(40), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
    Column("callback_url", Text),
    Column("lane", String(64), nullable=False),
    Column("event_seq", BigInteger, ForeignKey("task_events.seq", ondelete="CASCADE")),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("payload", Text),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("response_status", Integer),
    Column("error", Text),
    Column("duration_ms", Integer),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("run_at", BigInteger),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", BigInteger),
    Index(
        "ix_webhook_deliveries_due",
        "run_at",
        postgresql_where=text("run_at IS NOT NULL"),
        sqlite_where=text("run_at IS NOT NULL"),
    ),
    # Deliveries in flight (a live lease), by lane: what a claim counts against lane limits.
    Index(
        "ix_webhook_deliveries_leased",
        "lease_expires_at",
        "lane",
        postgresql_where=text("run_at IS NOT NULL"),
        sqlite_where=text("run_at IS NOT NULL"),
    ),
    Index("ix_webhook_deliveries_log", "account_id", "endpoint_id", "seq"),
    Index("ix_webhook_deliveries_event", "event_seq"),
)

#: The credits ledger (migration 0007), append-only. Grants and holds are written by the
#: billing service; charges and releases by the settle trigger on `tasks`. At most one entry of
#: each kind per task.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("type", String(16), nullable=False),  # grant | hold | charge | release
    Column("amount_micros", BigInteger, nullable=False),
    Column("balance_after_micros", BigInteger, nullable=False),
    Column("task_id", String(64)),
    Column("note", Text),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_ledger_entries_account", "account_id", "seq"),
    Index("ux_ledger_entries_task", "task_id", "type", unique=True),
)


#: Dashboard sign-ins (migration 0009): the hash of the cookie's random id, the key it was opened
#: with (read with the session on every request, so revoking the key ends it) and its CSRF token.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("key_id", String(40), ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_dashboard_sessions_expires", "expires_at"),
    Index("ix_dashboard_sessions_key", "key_id"),
)


#: Heartbeats (migration 0010): `worker:<name>` when a worker's claim loop last ran without a
#: database error, `readyz` when a readiness check last wrote the database. Rows of workers gone
#: for a day are deleted by the next heartbeat.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("at", BigInteger, nullable=False),
    Index("ix_heartbeats_at", "at"),
)

#: The request rate limit's token buckets (migration 0010), one row per API key that made a
#: request while a limit was set: used on PostgreSQL, where every API process shares them
#: (`db.dialect.TAKE_RATE_TOKEN`); SQLite's single API process keeps its buckets in memory.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("tokens", Double, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("granted", Boolean, nullable=False),
)
