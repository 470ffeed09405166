"""Fixtures of the provider tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from local_support import SyncLocal


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "local-jobs"


@pytest.fixture
def make_local(jobs_dir: Path) -> Iterator[Callable[..., SyncLocal]]:
    """Make LocalProviders on one shared jobs directory, like processes sharing a data dir;
    all are closed after the test."""
    made: list[SyncLocal] = []

    def make(**options: Any) -> SyncLocal:
        local = SyncLocal(jobs_dir, **options)
        made.append(local)
        return local

    yield make
    for local in made:
        local.dispose()
