"""What `mediagate` says about itself: its version, and help texts shown as written."""

from __future__ import annotations

import subprocess
import sys

from helpers import cli_env, run_cli
from mediagate import __version__


def test_version() -> None:
    proc = run_cli("--version", env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"mediagate {__version__}"


def test_help_shows_the_scenario_marker_as_written() -> None:
    """`[sim:<scenario>]` is an example to type, not markup for the terminal to swallow."""
    proc = run_cli("simulator", "--help", env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert "put [sim:<scenario>] in a prompt" in " ".join(proc.stdout.split())


def test_the_command_list_says_what_each_command_says_of_itself() -> None:
    """`mediagate --help` lists the commands without importing them; what it says of each is
    the start of that command's own help."""
    from mediagate.cli.main import COMMANDS, load_command

    for name, spec in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert (command.help or "").startswith(spec.summary.rstrip(".")), (name, command.help)


def test_help_loads_no_command_and_no_server_code() -> None:
    """The command list, and a client command, import none of the server's code (the database
    layer, the engine, the API), which takes seconds to load."""

    probe = (
        "import sys\n"
        "from mediagate.cli.main import app, load_command\n"
        "load_command('{name}')\n"
        "heavy = [m for m in ('sqlalchemy', 'mediagate.db', 'mediagate.engine', 'fastapi',"
        " 'mediagate.catalog.registry')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    for name in ("generate", "tasks", "models", "events", "webhooks", "usage", "account"):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(name=name)], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "", (name, out.stdout)
