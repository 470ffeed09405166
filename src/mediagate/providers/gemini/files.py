"""Images a synchronous call returned inline (base64 in the answer, no URL), kept as files
until the engine has stored them.

The submit writes them under the adapter's `files_dir` (by default `<data_dir>/provider-files/
gemini`) and returns the job id `inline:<file>[,<file>...]`; the poll hands the files to the
engine as local paths, which it measures and copies into storage; `cleanup` then removes them.
The poll must therefore run where the submit wrote: on the same machine, or on any machine
sharing the data directory (as the `local` provider requires too). Elsewhere the files are
missing and the task fails with PROVIDER_ERROR saying so, rather than generating (and paying
for) the image again. Files of tasks that never got that far (cancelled meanwhile) are swept
after a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from mediagate.providers.base import JobNotFound, JobOutput

PREFIX = "inline:"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,120}-\d{1,2}\.(?:png|jpg|webp)")
STALE_S = 24 * 3600.0
_SWEEP_EVERY_S = 3600.0


class InlineFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._swept = 0.0

    @staticmethod
    def owns(job_id: str) -> bool:
        return job_id.startswith(PREFIX)

    def _paths(self, job_id: str) -> list[Path]:
        names = job_id.removeprefix(PREFIX).split(",")
        if not names or not all(_NAME.fullmatch(name) for name in names):
            raise JobNotFound(f"{job_id[:80]!r} is not a job id of gemini's inline images")
        return [self.root / name for name in names]

    async def save(self, task_id: str, images: Sequence[tuple[str, bytes]]) -> str:
        """Write `(extension, bytes)` images; returns the job id naming them."""
        stem = f"{task_id[:80]}-{secrets.token_hex(4)}"
        names = [f"{stem}-{index}.{ext}" for index, (ext, _) in enumerate(images)]
        await asyncio.to_thread(self._write, names, [data for _, data in images])
        return PREFIX + ",".join(names)

    def _write(self, names: list[str], blobs: list[bytes]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, data in zip(names, blobs, strict=True):
            tmp = self.root / f".{name}.{secrets.token_hex(4)}.part"
            tmp.write_bytes(data)
            os.replace(tmp, self.root / name)
        if time.time() - self._swept > _SWEEP_EVERY_S:
            self._swept = time.time()
            self._sweep()

    def _sweep(self) -> None:
        cutoff = time.time() - STALE_S
        for path in self.root.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    async def outputs(self, job_id: str) -> list[JobOutput]:
        paths = self._paths(job_id)
        missing = [p.name for p in paths if not await asyncio.to_thread(p.is_file)]
        if missing:
            raise JobNotFound(
                f"the image gemini returned ({missing[0]}) is not on this machine: it was "
                "written by a worker that does not share this data directory, or removed"
            )
        return [JobOutput(path=path) for path in paths]

    async def remove(self, job_id: str) -> None:
        for path in self._paths(job_id):
            await asyncio.to_thread(path.unlink, missing_ok=True)
