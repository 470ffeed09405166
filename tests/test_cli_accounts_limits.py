"""`mediagate accounts set` through a real subprocess, against the database a live server uses;
the limit it sets is the one the engine's claim keeps."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from helpers import assert_clean_failure, cli_env, run_cli
from mediagate.core.clock import now_us
from mediagate.db.tables import accounts
from mediagate.engine import repository as engine_repo
from test_engine_fairness import LONG_AGO, _queue


@pytest.fixture
def env(live):
    return cli_env(database_url=live.url, data_dir=str(live.data_dir))


def _settings_of(live, name: str) -> tuple[int | None, int]:
    async def read() -> tuple[int | None, int]:
        async with live.db.read() as conn:
            query = select(accounts.c.max_concurrency, accounts.c.share).where(
                accounts.c.name == name
            )
            row = (await conn.execute(query)).one()
            return row[0], row[1]

    return live.run(read())


def test_set_changes_the_limit_and_the_share_and_says_so(live, env):
    key = live.new_key()
    proc = run_cli(
        "accounts", "set", key.account_name, "--concurrency", "2", "--share", "3", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert f"account '{key.account_name}': concurrency limit 2 per provider, share 3" in proc.stderr
    assert _settings_of(live, key.account_name) == (2, 3)

    proc = run_cli("accounts", "set", key.account_name, "--no-limit", env=env)
    assert proc.returncode == 0 and "concurrency limit none, share 3" in proc.stderr
    assert _settings_of(live, key.account_name) == (0, 3)

    env = {**env, "MEDIAGATE_ACCOUNT_CONCURRENCY": "5"}
    proc = run_cli("accounts", "set", key.account_name, "--default-limit", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "the default (MEDIAGATE_ACCOUNT_CONCURRENCY: 5)" in proc.stderr
    assert _settings_of(live, key.account_name) == (None, 3)


def test_the_limit_set_is_the_one_claims_keep(live, env):
    key = live.new_key()
    provider = f"cli{secrets.token_hex(4)}"
    live.run(_queue(live.db, key.account_id, provider, 6, LONG_AGO))
    proc = run_cli("accounts", "set", key.account_name, "--concurrency", "2", env=env)
    assert proc.returncode == 0, proc.stderr
    claimed = live.run(
        engine_repo.claim(
            live.db, token_prefix="w_cli", now=now_us(), lease_us=10**8, limit=10,
            rooms={provider: 10},
        )
    )  # fmt: skip
    assert len(claimed) == 2


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--concurrency", "2", "--no-limit"], 2, "give one of"),
        ([], 2, "nothing to set"),
        (["--share", "0"], 2, "--share"),
        (["--concurrency", "0"], 2, "--concurrency"),
    ],
)
def test_bad_settings_are_refused_cleanly(live, env, args, code, needle):
    key = live.new_key()
    proc = run_cli("accounts", "set", key.account_name, *args, env=env)
    assert proc.returncode == code
    assert_clean_failure(proc, needle)
    assert _settings_of(live, key.account_name) == (None, 1)


def test_an_unknown_account_is_named(env):
    proc = run_cli("accounts", "set", f"nobody-{secrets.token_hex(3)}", "--share", "2", env=env)
    assert proc.returncode == 1
    assert_clean_failure(proc, "no account named")
