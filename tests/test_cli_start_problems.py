"""A database that is not there, or a data directory that cannot be written, stops `db upgrade`,
`serve`, `worker` and `keys` with one line that says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import assert_clean_failure, cli_env, free_port, run_cli

COMMANDS = [
    ("db", "upgrade"),
    ("serve", "--port", "0"),
    ("worker",),
    ("keys", "create", "--account", "a"),
]


def _one_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_postgres_database(command: tuple[str, ...], tmp_path: Path) -> None:
    env = cli_env(
        database_url="postgresql://postgres@127.0.0.1:5432/mediagate_no_such_db",
        data_dir=str(tmp_path),
    )
    proc = run_cli(*command, env=env)
    assert_clean_failure(proc, 'database "mediagate_no_such_db" does not exist', "createdb")
    _one_line(proc)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_closed_port(command: tuple[str, ...], tmp_path: Path) -> None:
    env = cli_env(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/mediagate",
        data_dir=str(tmp_path),
    )
    proc = run_cli(*command, env=env)
    assert_clean_failure(proc, "connection refused", "MEDIAGATE_DATABASE_URL")
    _one_line(proc)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_data_dir_that_cannot_be_made(command: tuple[str, ...], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = cli_env(data_dir=str(blocker / "data"))
    proc = run_cli(*command, env=env)
    assert_clean_failure(proc, str(blocker / "data"), "MEDIAGATE_DATA_DIR")
    _one_line(proc)
