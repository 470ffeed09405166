"""Progress and cancellation of every renderer, and determinism across interpreter runs."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from media_support import SMALL_JOBS, files_in, render_small

from mediagate.media import RenderCancelled

JOBS = sorted(SMALL_JOBS)


@pytest.mark.parametrize("name", JOBS)
def test_progress_is_monotonic_and_ends_at_one(tmp_path: Path, name: str) -> None:
    seen: list[float] = []
    path = render_small(name, tmp_path, progress=seen.append)
    assert path.exists()
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert seen.count(1.0) == 1
    assert all(0.0 <= v <= 1.0 for v in seen)
    assert all(a < b for a, b in itertools.pairwise(seen))
    assert len(seen) >= 3


@pytest.mark.parametrize("name", JOBS)
@pytest.mark.parametrize("after", [0, 1])
def test_should_stop_cancels_and_leaves_nothing(tmp_path: Path, name: str, after: int) -> None:
    """Asked to stop on its first (or second) check, a renderer stops there, without a file."""
    checks = 0

    def should_stop() -> bool:
        nonlocal checks
        checks += 1
        return checks > after

    started = time.monotonic()
    with pytest.raises(RenderCancelled):
        render_small(name, tmp_path, should_stop=should_stop)
    assert time.monotonic() - started < 1.0
    assert checks == after + 1  # nothing is checked after the answer "stop"
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("name", ["mp4", "music-mp3", "speech-wav"])
def test_stop_mid_render_is_prompt(tmp_path: Path, name: str) -> None:
    """A long render stops within a fraction of a second of being asked."""
    file_name, render, params = SMALL_JOBS[name]
    params = {**params, "duration": 30.0}
    asked: list[float] = []

    def progress(value: float) -> None:
        if value > 0.05 and not asked:
            asked.append(time.monotonic())

    with pytest.raises(RenderCancelled):
        render(tmp_path / file_name, prompt="long", progress=progress,
               should_stop=lambda: bool(asked), **params)  # fmt: skip
    assert time.monotonic() - asked[0] < 0.3
    assert files_in(tmp_path) == []


_HASH_SCRIPT = """
import hashlib, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from media_support import SMALL_JOBS, render_small
out = Path(sys.argv[1])
for name in sorted(SMALL_JOBS):
    d = out / name
    d.mkdir()
    print(name, hashlib.sha256(render_small(name, d).read_bytes()).hexdigest())
"""


def _hashes_in_a_new_process(out: Path, hash_seed: str) -> dict[str, str]:
    out.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", _HASH_SCRIPT, str(out), str(Path(__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(line.split() for line in result.stdout.splitlines())


def test_bytes_do_not_depend_on_the_interpreter_run(tmp_path: Path) -> None:
    """Same prompt and parameters give the same bytes in two fresh processes with different
    hash seeds. Both are fresh on purpose: an MP4 rendered in the test process itself, after
    the client tests ran there, has been seen to differ in its first frames (not explained
    yet; it is in docs/engine.md's known issues)."""
    here = _hashes_in_a_new_process(tmp_path / "here", "1")
    there = _hashes_in_a_new_process(tmp_path / "there", "12345")
    assert sorted(here) == JOBS
    assert there == here
