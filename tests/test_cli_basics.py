"""What `mediagate` says about itself: its version, and help texts shown as written."""

from __future__ import annotations

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
