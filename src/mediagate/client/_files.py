"""Where downloads go, and writing one without ever leaving a partial file in place."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from mediagate.client.models import ResultFile, Task

_EXTENSION = re.compile(r"[A-Za-z0-9]{1,12}")


def _extension(item: ResultFile) -> str:
    """The file's format as an extension, if it is a safe one (the server's text is not
    trusted with file names)."""
    return item.format.lower() if _EXTENSION.fullmatch(item.format) else "bin"


def targets(task: Task, files: list[ResultFile], dest: str | os.PathLike[str]) -> list[Path]:
    """The path of each file. `dest` is a directory (existing, or written with a trailing
    slash): files are named `<task id>[-<n>].<format>` in it. Otherwise `dest` is the file's
    path; several files become `<stem>-<n><suffix>` next to it."""
    raw = os.fspath(dest)
    path = Path(raw).expanduser()
    several = len(files) > 1
    if path.is_dir() or raw.endswith(("/", os.sep)):
        return [
            path / f"{task.id}{f'-{n}' if several else ''}.{_extension(item)}"
            for n, item in enumerate(files)
        ]
    if not several:
        return [path]
    return [
        path.with_name(f"{path.stem}-{n}{path.suffix or '.' + _extension(item)}")
        for n, item in enumerate(files)
    ]


class Sink:
    """One download: written to a hidden temporary sibling of `target`, moved into place by
    `finish` only if exactly `size` bytes arrived. Never writes more than `size` bytes."""

    def __init__(self, target: Path, size: int) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target = target
        self.size = size
        self.received = 0
        self._tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish/abort

    def write(self, chunk: bytes) -> bool:
        """False once more than `size` bytes came (stop reading: the answer is wrong)."""
        self.received += len(chunk)
        if self.received > self.size:
            return False
        self._file.write(chunk)
        return True

    def finish(self) -> bool:
        """Close; True (and the file in place) if the download is complete."""
        self._file.close()
        if self.received != self.size:
            self._tmp.unlink(missing_ok=True)
            return False
        os.replace(self._tmp, self.target)
        return True

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)
