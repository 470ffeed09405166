"""How long the `mediagate` command takes to start: `--help`, and the client commands'
`--help` (what a user waits for before any request goes out), median of repeated runs, against
the interpreter starting and importing nothing (`python -c pass`) in the same run.

    .venv/bin/python bench/bench_cli_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from common import machine, write_section

COMMANDS = [
    ["--help"],
    ["--version"],
    ["generate", "--help"],
    ["tasks", "list", "--help"],
    ["models", "--help"],
    ["events", "--help"],
    ["serve", "--help"],
]
GOAL_S = 0.3


def _median(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    baseline = _median([sys.executable, "-c", "pass"], args.runs)
    rows = []
    for command in COMMANDS:
        took = _median([sys.executable, "-m", "mediagate", *command], args.runs)
        verdict = "ok" if took < GOAL_S else "over"
        rows.append(f"| `mediagate {' '.join(command)}` | {took * 1000:.0f} ms | {verdict} |")
    body = [
        "## CLI start-up",
        "",
        f"{machine()}; {datetime.now(UTC):%Y-%m-%d}; "
        f"`.venv/bin/python bench/bench_cli_startup.py --runs {args.runs}` "
        f"(median of {args.runs} runs each; goal under {GOAL_S * 1000:.0f} ms).",
        "",
        f"Baseline: the interpreter alone (`python -c pass`): {baseline * 1000:.0f} ms.",
        "",
        "| command | median | goal |",
        "| --- | --- | --- |",
        *rows,
    ]
    print("\n".join(body))
    write_section("cli-startup", "\n".join(body))


if __name__ == "__main__":
    main()
