"""Removing job directories nobody will ask about any more."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from .jobfiles import is_job_dir_name, read_state

log = logging.getLogger(__name__)


def sweep(jobs_dir: Path, *, retention_s: float) -> int:
    """Delete job directories whose last sign of life (heartbeat, or the directory's mtime when
    it has no readable state) is older than `retention_s`: finished jobs whose output the engine
    never collected, and jobs of processes that died. Returns how many were removed."""
    cutoff = time.time() - retention_s
    removed = 0
    try:
        entries = list(os.scandir(jobs_dir))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if not is_job_dir_name(entry.name):
            continue
        directory = Path(entry.path)
        record = read_state(directory)
        try:
            last = record.heartbeat if record is not None else entry.stat().st_mtime
        except OSError:
            continue
        if last < cutoff:
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d old local job directories from %s", removed, jobs_dir)
    return removed
