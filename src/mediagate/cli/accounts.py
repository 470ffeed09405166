"""`mediagate accounts ...`: credits (grant, list, show) and limits (set)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Accounts: credits, spend and fairness limits.", no_args_is_help=True)
