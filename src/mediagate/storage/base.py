"""The result-storage interface: the local file system (default) and S3-compatible stores.

The engine measures a local output where it is, or downloads a remote one into a temporary
file and measures that, then hands the file to `put_file`. Clients get files through `url`: a
gateway URL signed with HMAC for the local store, the store's own presigned URL for S3.
"""

from __future__ import annotations

import abc
import secrets
import tempfile
from pathlib import Path

#: The size of the readiness probe's object: a few blocks, so a full file system refuses it.
PROBE_BYTES = 16 * 1024


class Storage(abc.ABC):
    @abc.abstractmethod
    async def put_file(self, key: str, source: Path, content_type: str) -> int:
        """Store `source` under `key` (e.g. `acct_x/task_y/0.png`); returns its size in bytes.
        Idempotent: storing the same key again replaces it. `source` must not change
        afterwards (the local store may hard-link it rather than copy it); it may be deleted."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> None:
        """Delete every object under `prefix` (a task's folder, at retention); missing is fine."""

    @abc.abstractmethod
    def url(self, key: str, *, filename: str, content_type: str, ttl_s: int) -> str:
        """A download URL for `key`, valid for `ttl_s` seconds; the download is offered as
        `filename` with `content_type`."""

    async def probe_write(self) -> None:
        """Store a small object and delete it again (the readiness check); raises when the
        store cannot take it (full, read-only, unreachable)."""
        probe = f"readyz/probe-{secrets.token_hex(8)}"
        with tempfile.TemporaryDirectory(prefix="mediagate-readyz-") as folder:
            source = Path(folder) / "probe.bin"
            source.write_bytes(secrets.token_bytes(PROBE_BYTES))
            await self.put_file(f"{probe}.bin", source, "application/octet-stream")
        await self.delete_prefix(probe)

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""
