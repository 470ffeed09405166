"""`mediagate accounts grant|list|show` and key spend limits through a real subprocess, against
the database a live server uses."""

from __future__ import annotations

import secrets

import pytest

from helpers import assert_clean_failure, cli_env, image_body, run_cli


@pytest.fixture
def env(live):
    return cli_env(database_url=live.url, data_dir=str(live.data_dir))


def _key(env, account, *args):
    proc = run_cli("keys", "create", "--account", account, *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def _rows(stdout):
    """Tab-separated output (not a terminal) as dicts by header."""
    lines = [line.split("\t") for line in stdout.strip().splitlines() if line]
    return [dict(zip(lines[0], row, strict=True)) for row in lines[1:]]


def test_grant_makes_an_account_prepaid_and_show_lists_the_ledger(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key = _key(env, account)
    proc = run_cli("accounts", "grant", account, "0.003", "--note", "trial", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "balance 0.003" in proc.stderr
    with live.client(key) as http:
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 202  # holds 0.002
        refused = http.post("/api/v1/tasks", json=image_body())
        assert refused.status_code == 402, refused.text
        assert "0.001 available" in refused.json()["error"]["message"]
        data = http.get("/api/v1/account").json()["data"]
        assert (data["billing"], data["balance"], data["held"]) == ("prepaid", 0.003, 0.002)
    [row] = [
        r for r in _rows(run_cli("accounts", "list", env=env).stdout) if r["account"] == account
    ]
    assert (row["billing"], row["balance"], row["held"], row["available"]) == (
        "prepaid", "0.003", "0.002", "0.001")  # fmt: skip
    shown = run_cli("accounts", "show", account, env=env)
    assert shown.returncode == 0, shown.stderr
    ledger = _rows(shown.stdout.split("\n\n", 1)[1])
    assert [(e["type"], e["amount"], e["note"]) for e in ledger] == [
        ("hold", "0.002", ""), ("grant", "0.003", "trial")]  # fmt: skip


@pytest.mark.parametrize("amount", ["-5", "abc", "0", "0.0000001", "1e12"])
def test_grant_refuses_a_bad_amount(env, amount):
    account = f"cli-{secrets.token_hex(4)}"
    _key(env, account)
    assert_clean_failure(run_cli("accounts", "grant", account, "--", amount, env=env), "AMOUNT")


def test_grant_to_an_unknown_account_fails_cleanly(env):
    assert_clean_failure(run_cli("accounts", "grant", "nobody-here", "5", env=env), "no account")


def test_a_keys_spend_limit_from_create_and_set_limit(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key = _key(env, account, "--spend-limit", "0.004")
    listed = [r for r in _rows(run_cli("keys", "list", "--account", account, env=env).stdout)]
    assert listed[0]["spend limit"] == "0.004"
    with live.client(key) as http:
        assert [http.post("/api/v1/tasks", json=image_body()).status_code for _ in range(3)] == [
            202, 202, 402]  # fmt: skip
        proc = run_cli("keys", "set-limit", key[:16], "0.006", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "0.004 spent or held this month" in proc.stderr
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 202
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 402
        assert run_cli("keys", "set-limit", key[:16], "none", env=env).returncode == 0
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 202


def test_a_limit_set_later_counts_the_months_unfinished_tasks(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key = _key(env, account)
    with live.client(key) as http:
        for _ in range(2):
            assert http.post("/api/v1/tasks", json=image_body()).status_code == 202
        proc = run_cli("keys", "set-limit", key[:16], "0.005", env=env)
        assert "0.004 spent or held this month" in proc.stderr, proc.stderr
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 402
