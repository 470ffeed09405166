"""`mediagate usage` and `mediagate account` through real subprocesses against a gateway with
workers (SQLite and PostgreSQL): tables a script can split, a total line, `--json`, and clean
failures."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass

import pytest

from helpers import assert_clean_failure, cli_env, run_cli
from mediagate.accounts import service as accounts
from mediagate.billing import service as billing
from mediagate.client import Client, Task
from mediagate.db import Database
from mediagate.db.urls import parse_database_url


@dataclass
class Holder:
    name: str
    id: str
    key: str
    env: dict[str, str]
    tasks: list[Task]


def _holder(engine_live, credits: int | None) -> Holder:
    """A new account (granted `credits` micros, if given) with two local-image tasks and one
    local-audio task done."""
    name = f"cli-{secrets.token_hex(5)}"

    async def make() -> accounts.CreatedKey:
        db = Database(parse_database_url(engine_live.url))
        try:
            key = await accounts.create_key(db, account=name)
            if credits is not None:
                await billing.grant(db, name, credits, "for the CLI")
            return key
        finally:
            await db.close()

    key = asyncio.run(make())
    with Client(base_url=engine_live.base_url, api_key=key.secret) as client:
        bodies = [
            ("image", "local-image", {"prompt": "a fox", "width": 64, "height": 48}),
            ("image", "local-image", {"prompt": "a hare", "width": 64, "height": 48}),
            ("audio", "local-audio", {"prompt": "wind", "duration": 0.5}),
        ]
        done = [
            client.tasks.wait(client.tasks.create(type=kind, model=model, input=body), timeout=60)
            for kind, model, body in bodies
        ]
    env = cli_env(url=engine_live.base_url, api_key=key.secret)
    return Holder(name, key.account_id, key.secret, env, done)


@pytest.fixture
def prepaid(engine_live) -> Holder:
    return _holder(engine_live, credits=1_000_000)


def _tsv(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.strip().splitlines()]


def test_usage_by_model_is_a_table_with_a_total_line(prepaid):
    proc = run_cli("usage", "--by", "model", env=prepaid.env)
    assert proc.returncode == 0, proc.stderr
    audio = prepaid.tasks[2].cost
    assert _tsv(proc.stdout) == [
        ["group", "tasks", "succeeded", "failed", "cancelled", "cost"],
        ["local-audio", "1", "1", "0", "0", f"{audio:g}"],
        ["local-image", "2", "2", "0", "0", "0.004"],
        ["total", "3", "3", "0", "0", f"{0.004 + audio:.6f}".rstrip("0")],
    ]


def test_usage_json_is_the_api_data(prepaid, engine_live):
    day = prepaid.tasks[0].created_at.date().isoformat()
    proc = run_cli("usage", "--json", "--since", day, "--until", day, env=prepaid.env)
    assert proc.returncode == 0, proc.stderr
    with Client(base_url=engine_live.base_url, api_key=prepaid.key) as client:
        expected = client.usage(start_date=day, end_date=day)
    assert json.loads(proc.stdout) == [row.model_dump(mode="json") for row in expected]
    [row] = json.loads(proc.stdout)
    assert row["group"] == day and row["tasks"] == 3 and row["succeeded"] == 3

    by_key = run_cli("usage", "--json", "--by", "key", env=prepaid.env)
    assert by_key.returncode == 0, by_key.stderr
    assert [(r["tasks"], r["cost"]) for r in json.loads(by_key.stdout)] == [
        (3, pytest.approx(0.004 + prepaid.tasks[2].cost))
    ]


def test_usage_refused_arguments_fail_cleanly(prepaid):
    bad_group = run_cli("usage", "--by", "week", env=prepaid.env)
    assert_clean_failure(bad_group, "--by: must be one of", "INVALID_PARAMETER")
    assert bad_group.returncode == 1 and bad_group.stdout == ""
    bad_date = run_cli("usage", "--since", "yesterday", env=prepaid.env)
    assert_clean_failure(bad_date, "--since: ")


def test_account_shows_credits_and_the_latest_ledger_entries(prepaid):
    proc = run_cli("account", "--ledger", "3", env=prepaid.env)
    assert proc.returncode == 0, proc.stderr
    account_part, ledger_part = proc.stdout.split("\n\n")
    spent = 0.004 + prepaid.tasks[2].cost
    fields = dict(_tsv(account_part)[1:])
    assert fields["name"] == prepaid.name and fields["id"] == prepaid.id
    assert fields["billing"] == "prepaid" and fields["held"] == "0"
    assert float(fields["balance"]) == pytest.approx(1 - spent) == float(fields["available"])
    assert float(fields["spent_this_month"]) == pytest.approx(spent)
    ledger = _tsv(ledger_part)
    assert ledger[0] == ["entry", "type", "amount", "balance after", "task", "note", "at"]
    assert [(row[1], row[4]) for row in ledger[1:]] == [
        ("charge", prepaid.tasks[2].id),
        ("hold", prepaid.tasks[2].id),
        ("charge", prepaid.tasks[1].id),
    ]


def test_account_json(engine_live):
    postpaid = _holder(engine_live, credits=None)
    proc = run_cli("account", "--json", env=postpaid.env)
    assert proc.returncode == 0, proc.stderr
    account = json.loads(proc.stdout)
    assert account["billing"] == "postpaid" and account["balance"] == 0
    assert account["spent_this_month"] == pytest.approx(0.004 + postpaid.tasks[2].cost)
    assert "ledger" not in account

    with_ledger = run_cli("account", "--json", "--ledger", "10", env=postpaid.env)
    assert with_ledger.returncode == 0, with_ledger.stderr
    assert json.loads(with_ledger.stdout) == {**account, "ledger": []}


def test_account_with_a_bad_key_fails_cleanly(engine_live):
    env = cli_env(url=engine_live.base_url, api_key="mg_live_" + "x" * 40)
    proc = run_cli("account", env=env)
    assert_clean_failure(proc, "UNAUTHORIZED")
    assert proc.returncode == 1
