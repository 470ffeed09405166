"""Credits, holds and usage; per-account limits and fair claims.

- `accounts` gain a balance and the credits held for unfinished tasks (prepaid once credits
  were granted), and the fairness settings (`max_concurrency`, `share`).
- `api_keys` gain a monthly spend limit and what is committed against it this month
  (`limit_month`: the month's start; `limit_committed_micros`: holds of unfinished tasks plus
  costs of finished ones, created by the key in that month).
- `tasks` gain `max_cost_micros` (the most the task can cost: its charge's cap), `hold_micros`
  (credits held on the account) and `limit_hold_micros` (reserved against the key's limit).
- `ledger_entries`: the append-only credits ledger (grant, hold, charge, release), one entry of
  each kind per task at most.
- A trigger places a new task's hold (`hold_micros`, `limit_hold_micros`, planned by the
  create), with its ledger entry, or refuses it (the create's transaction then fails: no task
  is made). On PostgreSQL it is deferred to the commit, so the account's row is locked only
  while the transaction commits; on SQLite the one writer serialises creates anyway.
- A trigger settles a task's hold in the transaction that makes it final, whatever path wrote
  it (the engine's fenced writes, a cancel): the charge (its cost, never above the hold) and the
  release of the rest. The status only moves forward, so this happens once per task; the unique
  index on (task_id, type) would refuse a second one.
- The listing counts gain the key, the mode and the summed cost: usage reads them, so usage is
  as cheap as a listing total at any number of tasks.
- Fair claims: `claim_turns` (whose turn it is, per provider and account) and the task indexes
  the claim and the queue position walk (`_fair_claims`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DAY = 86_400_000_000
_ACTIVE = "('pending', 'queued', 'running')"
_FINAL = "('succeeded', 'failed', 'cancelled', 'expired')"
_COUNT_KEYS = "account_id, sandbox, key_id, day, status, model, provider"
_COUNT_COLUMNS = f"{_COUNT_KEYS}, n, cost_micros"
_COUNT_WATCHED = (
    "status", "model", "provider", "account_id", "created_at", "cost_micros", "key_id", "sandbox"
)  # fmt: skip
_LEDGER_COLUMNS = "account_id, type, amount_micros, balance_after_micros, task_id, created_at"
_CHARGE = "CASE WHEN NEW.status = 'succeeded' THEN {least}(NEW.cost_micros, NEW.{hold}) ELSE 0 END"


def _count_row(ref: str, n: int) -> str:
    sign = "" if n > 0 else "-"
    return (
        f"INSERT INTO task_count_deltas ({_COUNT_COLUMNS}) VALUES ({ref}.account_id, "
        f"{ref}.sandbox, {ref}.key_id, {ref}.created_at / {DAY}, {ref}.status, {ref}.model, "
        f"{ref}.provider, {n}, {sign}{ref}.cost_micros);"
    )


def _settle_when(old: str, distinct: str) -> str:
    return (
        f"{old}.status IN {_ACTIVE} AND NEW.status IN {_FINAL} "
        f"AND (NEW.hold_micros > 0 OR NEW.limit_hold_micros > 0) AND {distinct}"
    )


#: The errors the hold trigger raises (`db.dialect.refused_hold` recognises them; the texts
#: are written here, not imported: a migration stays as it shipped).
INSUFFICIENT_CREDITS = "mediagate: insufficient credits"
KEY_LIMIT_REACHED = "mediagate: key spend limit reached"
_KEY_COMMITTED = "CASE WHEN limit_month = {month} THEN limit_committed_micros ELSE 0 END"
_PG_KEY_COMMITTED = _KEY_COMMITTED.format(month="month")
_PG_MONTH = (
    "(extract(epoch FROM date_trunc('month', to_timestamp(NEW.created_at / 1000000.0) "
    "AT TIME ZONE 'UTC')) * 1000000)::bigint"
)
_SQLITE_MONTH = (
    "(CAST(strftime('%s', datetime(NEW.created_at / 1000000, 'unixepoch', 'start of month')) "
    "AS INTEGER) * 1000000)"
)
_PG_CHARGE = _CHARGE.format(least="least", hold="hold_micros")
_PG_LIMIT_CHARGE = _CHARGE.format(least="least", hold="limit_hold_micros")

POSTGRES = [
    "DROP TRIGGER tasks_count_update ON tasks",
    "DROP TRIGGER tasks_count_insert_delete ON tasks",
    "DROP FUNCTION mediagate_task_count_delta()",
    f"""
    CREATE FUNCTION mediagate_task_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_count_row("OLD", -1)} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_count_row("NEW", 1)} END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER tasks_count_insert_delete AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION mediagate_task_count_delta()
    """,
    f"""
    CREATE TRIGGER tasks_count_update AFTER UPDATE OF {", ".join(_COUNT_WATCHED)} ON tasks
    FOR EACH ROW WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _COUNT_WATCHED)})
    EXECUTE FUNCTION mediagate_task_count_delta()
    """,
    f"""
    CREATE FUNCTION mediagate_task_settle() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        now_us bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
        charge bigint := {_PG_CHARGE};
        balance bigint;
    BEGIN
        IF NEW.hold_micros > 0 THEN
            UPDATE accounts SET balance_micros = balance_micros - charge,
                                held_micros = held_micros - NEW.hold_micros,
                                ledger_count = ledger_count + (charge > 0)::int
                                    + (NEW.hold_micros > charge)::int
                WHERE id = NEW.account_id RETURNING balance_micros INTO balance;
            IF charge > 0 THEN
                INSERT INTO ledger_entries ({_LEDGER_COLUMNS})
                    VALUES (NEW.account_id, 'charge', charge, balance, NEW.id, now_us);
            END IF;
            IF NEW.hold_micros > charge THEN
                INSERT INTO ledger_entries ({_LEDGER_COLUMNS})
                    VALUES (NEW.account_id, 'release', NEW.hold_micros - charge, balance, NEW.id,
                            now_us);
            END IF;
        END IF;
        IF NEW.limit_hold_micros > 0 THEN
            UPDATE api_keys SET limit_committed_micros =
                    limit_committed_micros - NEW.limit_hold_micros + {_PG_LIMIT_CHARGE}
                WHERE id = NEW.key_id AND limit_month <= NEW.created_at;
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER tasks_settle AFTER UPDATE OF status ON tasks
    FOR EACH ROW WHEN ({_settle_when("OLD", "OLD.status IS DISTINCT FROM NEW.status")})
    EXECUTE FUNCTION mediagate_task_settle()
    """,
    f"""
    CREATE FUNCTION mediagate_task_hold() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        balance bigint;
        month bigint := {_PG_MONTH};
    BEGIN
        IF NEW.hold_micros > 0 THEN
            UPDATE accounts SET held_micros = held_micros + NEW.hold_micros,
                                ledger_count = ledger_count + 1
                WHERE id = NEW.account_id AND prepaid = 1
                  AND balance_micros - held_micros >= NEW.hold_micros
                RETURNING balance_micros INTO balance;
            IF NOT FOUND THEN
                RAISE EXCEPTION '{INSUFFICIENT_CREDITS}';
            END IF;
            INSERT INTO ledger_entries ({_LEDGER_COLUMNS})
                VALUES (NEW.account_id, 'hold', NEW.hold_micros, balance, NEW.id, NEW.created_at);
        END IF;
        IF NEW.limit_hold_micros > 0 THEN
            UPDATE api_keys
                SET limit_committed_micros = {_PG_KEY_COMMITTED} + NEW.limit_hold_micros,
                    limit_month = month
                WHERE id = NEW.key_id AND (spend_limit_micros IS NULL
                      OR {_PG_KEY_COMMITTED} + NEW.limit_hold_micros <= spend_limit_micros);
            IF NOT FOUND THEN
                RAISE EXCEPTION '{KEY_LIMIT_REACHED}';
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    # Deferred to the commit: the account's row is locked only while the transaction commits,
    # never while the gateway's process gets round to sending its COMMIT.
    """
    CREATE CONSTRAINT TRIGGER tasks_hold AFTER INSERT ON tasks DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.hold_micros > 0 OR NEW.limit_hold_micros > 0)
    EXECUTE FUNCTION mediagate_task_hold()
    """,
]

_SQLITE_NOW = "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
_SQLITE_CHARGE = _CHARGE.format(least="min", hold="hold_micros")
_SQLITE_KEY_COMMITTED = _KEY_COMMITTED.format(month=_SQLITE_MONTH)
_SQLITE_LIMIT_CHARGE = _CHARGE.format(least="min", hold="limit_hold_micros")


def _sqlite_ledger(kind: str, amount: str) -> str:
    return (
        f"INSERT INTO ledger_entries ({_LEDGER_COLUMNS}) SELECT NEW.account_id, '{kind}', "
        f"{amount}, a.balance_micros, NEW.id, {_SQLITE_NOW} FROM accounts a "
        f"WHERE a.id = NEW.account_id AND NEW.hold_micros > 0 AND {amount} > 0;"
    )


SQLITE = [
    "DROP TRIGGER tasks_count_insert",
    "DROP TRIGGER tasks_count_delete",
    "DROP TRIGGER tasks_count_update",
    f"CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN {_count_row('NEW', 1)} END",
    f"CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN {_count_row('OLD', -1)} END",
    f"""
    CREATE TRIGGER tasks_count_update AFTER UPDATE OF {", ".join(_COUNT_WATCHED)} ON tasks
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _COUNT_WATCHED)}
    BEGIN {_count_row("OLD", -1)} {_count_row("NEW", 1)} END
    """,
    f"""
    CREATE TRIGGER tasks_settle AFTER UPDATE OF status ON tasks
    WHEN {_settle_when("OLD", "OLD.status IS NOT NEW.status")}
    BEGIN
        UPDATE accounts SET balance_micros = balance_micros - ({_SQLITE_CHARGE}),
                            held_micros = held_micros - NEW.hold_micros,
                            ledger_count = ledger_count + (({_SQLITE_CHARGE}) > 0)
                                + (NEW.hold_micros > ({_SQLITE_CHARGE}))
            WHERE id = NEW.account_id AND NEW.hold_micros > 0;
        {_sqlite_ledger("charge", _SQLITE_CHARGE)}
        {_sqlite_ledger("release", f"NEW.hold_micros - ({_SQLITE_CHARGE})")}
        UPDATE api_keys SET limit_committed_micros =
                limit_committed_micros - NEW.limit_hold_micros + ({_SQLITE_LIMIT_CHARGE})
            WHERE id = NEW.key_id AND limit_month <= NEW.created_at
              AND NEW.limit_hold_micros > 0;
    END
    """,
    f"""
    CREATE TRIGGER tasks_hold AFTER INSERT ON tasks
    WHEN NEW.hold_micros > 0 OR NEW.limit_hold_micros > 0
    BEGIN
        SELECT RAISE(ABORT, '{INSUFFICIENT_CREDITS}') WHERE NEW.hold_micros > 0 AND NOT EXISTS (
            SELECT 1 FROM accounts WHERE id = NEW.account_id AND prepaid = 1
              AND balance_micros - held_micros >= NEW.hold_micros);
        UPDATE accounts SET held_micros = held_micros + NEW.hold_micros,
                            ledger_count = ledger_count + 1
            WHERE id = NEW.account_id AND NEW.hold_micros > 0;
        INSERT INTO ledger_entries ({_LEDGER_COLUMNS}) SELECT NEW.account_id, 'hold',
            NEW.hold_micros, balance_micros, NEW.id, NEW.created_at FROM accounts
            WHERE id = NEW.account_id AND NEW.hold_micros > 0;
        SELECT RAISE(ABORT, '{KEY_LIMIT_REACHED}') WHERE NEW.limit_hold_micros > 0 AND EXISTS (
            SELECT 1 FROM api_keys WHERE id = NEW.key_id AND spend_limit_micros IS NOT NULL
              AND {_SQLITE_KEY_COMMITTED} + NEW.limit_hold_micros > spend_limit_micros);
        UPDATE api_keys
            SET limit_committed_micros = {_SQLITE_KEY_COMMITTED} + NEW.limit_hold_micros,
                limit_month = {_SQLITE_MONTH}
            WHERE id = NEW.key_id AND NEW.limit_hold_micros > 0;
    END
    """,
]


# A task is started at its provider once its submit began or a claim leased it for that (see
# `engine.repository`): claims take started tasks' steps by due time, fresh ones by turns.
_STARTED = (
    "run_at IS NOT NULL AND (status <> 'pending' OR submit_started_at IS NOT NULL "
    "OR lease_owner IS NOT NULL)"
)
_IN_FLIGHT = (
    "status IN ('queued', 'running') OR (status = 'pending' AND "
    "(submit_started_at IS NOT NULL OR lease_owner IS NOT NULL))"
)


def _fair_claims() -> None:
    """Fair claims between accounts and per-account concurrency limits: the due steps of started
    tasks by provider and time (with `ix_tasks_pending_by_account` for the fresh ones, this
    replaces `ix_tasks_due_by_provider`), each account's tasks in flight at a provider, and
    whose turn it is (`claim_turns`). The queue position walks `ix_tasks_pending_by_account`
    now, so `ix_tasks_pending_queue` goes."""
    op.drop_index("ix_tasks_due_by_provider", "tasks")
    op.drop_index("ix_tasks_pending_queue", "tasks")
    for name, columns, where in (
        ("ix_tasks_due_started", ["provider", "run_at"], _STARTED),
        ("ix_tasks_in_flight", ["provider", "account_id"], _IN_FLIGHT),
    ):
        op.create_index(
            name, "tasks", columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    op.create_table(
        "claim_turns",
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("pass", sa.BigInteger, nullable=False),
    )


def upgrade() -> None:
    for column in (
        sa.Column("prepaid", sa.Integer, nullable=False, server_default="0"),
        sa.Column("balance_micros", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("held_micros", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("ledger_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("max_concurrency", sa.Integer),
        sa.Column("share", sa.Integer, nullable=False, server_default="1"),
    ):
        op.add_column("accounts", column)
    op.add_column("api_keys", sa.Column("spend_limit_micros", sa.BigInteger))
    op.add_column(
        "api_keys", sa.Column("limit_month", sa.BigInteger, nullable=False, server_default="0")
    )
    op.add_column(
        "api_keys",
        sa.Column("limit_committed_micros", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.add_column("tasks", sa.Column("max_cost_micros", sa.BigInteger))
    op.add_column(
        "tasks", sa.Column("hold_micros", sa.BigInteger, nullable=False, server_default="0")
    )
    op.add_column(
        "tasks", sa.Column("limit_hold_micros", sa.BigInteger, nullable=False, server_default="0")
    )
    # Fair claims walk the pending tasks of one provider account by account.
    op.create_index(
        "ix_tasks_pending_by_account",
        "tasks",
        ["provider", "account_id", "run_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    _fair_claims()

    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("balance_after_micros", sa.BigInteger, nullable=False),
        # No foreign key: the ledger outlives the tasks it mentions.
        sa.Column("task_id", sa.String(64)),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_ledger_entries_account", "ledger_entries", ["account_id", "seq"])
    op.create_index("ux_ledger_entries_task", "ledger_entries", ["task_id", "type"], unique=True)

    # The counts, rebuilt with the key, the mode and the cost (a derived table: recomputed).
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES[:3] if postgres else SQLITE[:3]:
        op.execute(statement)
    op.drop_table("task_count_deltas")
    op.drop_table("task_counts")
    op.create_table(
        "task_counts",
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("sandbox", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("day", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "task_count_deltas",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("sandbox", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("day", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_task_count_deltas_account", "task_count_deltas", ["account_id"])
    # Triggers first (PostgreSQL: writers to `tasks` wait for this transaction), then the
    # backfill, which therefore misses no task.
    for statement in POSTGRES[3:] if postgres else SQLITE[3:]:
        op.execute(statement)
    op.execute(
        f"INSERT INTO task_counts ({_COUNT_COLUMNS}) "
        f"SELECT account_id, sandbox, key_id, created_at / {DAY}, status, model, provider, "
        "count(*), sum(cost_micros) FROM tasks "
        f"GROUP BY account_id, sandbox, key_id, created_at / {DAY}, status, model, provider"
    )


def downgrade() -> None:
    raise NotImplementedError("0007 is not reversible: restore a backup taken before it")
