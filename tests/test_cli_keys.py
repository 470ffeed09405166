"""`mediagate keys ...` through a real subprocess, against the database a live server uses."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from helpers import assert_clean_failure, cli_env, error_of, image_body, run_cli


@pytest.fixture
def env(live):
    return cli_env(database_url=live.url, data_dir=str(live.data_dir))


def _create(env, *args: str) -> tuple[str, str]:
    """(key, stderr) of `keys create`; the key is the last line of standard output."""
    proc = run_cli("keys", "create", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1], proc.stderr


def test_created_key_is_the_last_stdout_line_and_works_at_once(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key, stderr = _create(env, "--account", account, "--name", "laptop")
    assert key.startswith("mg_live_") and len(key) > 30
    assert account in stderr
    with live.client(key) as http:
        r = http.post("/api/v1/tasks", json=image_body())
        assert r.status_code == 202, r.text


def test_test_flag_makes_a_sandbox_key(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key, _ = _create(env, "--account", account, "--test")
    assert key.startswith("mg_test_")
    with live.client(key) as http:
        assert http.post("/api/v1/tasks", json=image_body()).status_code == 202
    listed = run_cli("keys", "list", "--account", account, env=env).stdout
    assert "test" in listed.split(key[:16], 1)[1].splitlines()[0]


def test_keys_of_one_account_share_its_tasks(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    first, _ = _create(env, "--account", account)
    second, _ = _create(env, "--account", account, "--name", "ci")
    with live.client(first) as a, live.client(second) as b:
        task_id = a.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
        assert b.get(f"/api/v1/tasks/{task_id}").status_code == 200


def test_list_shows_prefix_account_label_and_state_never_the_secret(env):
    account = f"cli-{secrets.token_hex(4)}"
    key, _ = _create(env, "--account", account, "--name", "render-farm")
    proc = run_cli("keys", "list", "--account", account, env=env)
    assert proc.returncode == 0, proc.stderr
    assert key[:16] in proc.stdout
    assert key not in proc.stdout
    assert "render-farm" in proc.stdout and "active" in proc.stdout


def test_revoke_by_prefix_stops_the_key_at_once(live, env):
    account = f"cli-{secrets.token_hex(4)}"
    key, _ = _create(env, "--account", account)
    with live.client(key) as http:
        assert http.get("/api/v1/tasks").status_code == 200
        proc = run_cli("keys", "revoke", key[:16], env=env)
        assert proc.returncode == 0, proc.stderr
        r = http.get("/api/v1/tasks")
        assert r.status_code == 401
        assert error_of(r)["code"] == "UNAUTHORIZED"
    listed = run_cli("keys", "list", "--account", account, env=env).stdout
    assert "revoked" in listed


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["keys", "revoke", "mg_live_nosuchkeyatall"], "no key starts with"),
        (["keys", "revoke", "mg_"], "at least the first 9 characters"),
        (["keys", "create", "--account", "   "], "account name"),
        (["keys", "create"], "--account"),
    ],
)
def test_bad_key_commands_fail_with_one_clear_line(env, args, needle):
    assert_clean_failure(run_cli(*args, env=env), needle)


def test_revoking_twice_says_it_is_already_revoked(env):
    key, _ = _create(env, "--account", f"cli-{secrets.token_hex(4)}")
    assert run_cli("keys", "revoke", key, env=env).returncode == 0
    assert_clean_failure(run_cli("keys", "revoke", key, env=env), "already revoked")


def test_an_unusable_database_url_is_a_clear_error(tmp_path):
    env = cli_env(database_url="mysql://root@127.0.0.1/test", data_dir=str(tmp_path))
    assert_clean_failure(run_cli("keys", "list", env=env), "MEDIAGATE_DATABASE_URL")


def test_a_bad_setting_is_named(tmp_path):
    env = cli_env(port="eighty", data_dir=str(tmp_path))
    assert_clean_failure(run_cli("serve", env=env), "MEDIAGATE_PORT")


def test_a_key_made_from_another_directory_says_which_database_it_is_in(tmp_path):
    """Run where no database is yet (another directory than the server's): the key is made,
    and the command says it made a new database, and where, so the user can tell why the
    server rejects the key."""
    env = cli_env()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = subprocess.run(
        [sys.executable, "-m", "mediagate", "keys", "create", "--account", "a"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    made = elsewhere / ".mediagate" / "mediagate.db"
    assert made.exists()
    assert "new, empty database" in first.stderr and str(made) in first.stderr
    second = subprocess.run(
        [sys.executable, "-m", "mediagate", "keys", "create", "--account", "b"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "new, empty database" not in second.stderr
    assert str(made) in second.stderr  # where the key is, every time
