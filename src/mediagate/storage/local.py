"""Files on the local disk, served by the gateway itself under HMAC-signed URLs.

Layout: `<root>/<key>` (keys are checked by `storage.keys`, so nothing lands outside `root`).
`put_file` copies to a hidden temporary file in the destination folder, fsyncs it and renames
it over the key (`os.replace`): readers see the old file or the new one, never half of one.

`url()` answers a *relative* URL, `<url_prefix>/<key>?exp=...&name=...&type=...&sig=...`
(`url_prefix` is `/files` by default, where `api/routes/files.py` serves). The caller makes it
absolute with the gateway's public URL (`tasks.results.ResultLinks` does: any URL starting
with `/` gets MEDIAGATE_PUBLIC_URL, or the URL of the request, put in front).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mediagate.storage.base import Storage
from mediagate.storage.keys import check_key, check_prefix, is_valid_key
from mediagate.storage.signing import URLSigner


@dataclass(frozen=True)
class StoredFile:
    """A stored file found for serving: where it is and its `os.stat` at lookup."""

    path: Path
    stat: os.stat_result


class LocalStorage(Storage):
    def __init__(self, root: Path, signer: URLSigner, *, url_prefix: str = "/files") -> None:
        self.root = root.resolve()
        self.signer = signer
        self.url_prefix = url_prefix.rstrip("/")

    def path_of(self, key: str) -> Path:
        """The file of `key` under the root; raises InvalidKey for a key outside the rules."""
        return self.root / check_key(key)

    async def put_file(self, key: str, source: Path, content_type: str) -> int:
        return await asyncio.to_thread(_atomic_copy, source, self.path_of(key))

    async def delete_prefix(self, prefix: str) -> None:
        folder, _, stem = check_prefix(prefix).rpartition("/")
        await asyncio.to_thread(_delete_matching, self.root / folder if folder else self.root, stem)

    def url(self, key: str, *, filename: str, content_type: str, ttl_s: int) -> str:
        check_key(key)
        query = self.signer.sign(key, self.signer.expires_at(ttl_s), filename, content_type)
        return f"{self.url_prefix}/{quote(key, safe='/')}?{query}"

    async def stored_file(self, key: str) -> StoredFile | None:
        """The regular file stored under `key`, for serving; None when the key is invalid, the
        file is missing, or it resolves (through a link) outside the root."""
        if not is_valid_key(key):
            return None
        return await asyncio.to_thread(self._lookup, self.root / key)

    def _lookup(self, path: Path) -> StoredFile | None:
        try:
            real = path.resolve(strict=True)
            st = real.stat()
        except OSError:
            return None
        if not real.is_relative_to(self.root) or not stat.S_ISREG(st.st_mode):
            return None
        return StoredFile(real, st)


def _atomic_copy(source: Path, dest: Path) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".put-", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(source, tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        size = tmp.stat().st_size
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)
    return size


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename is still atomic
    finally:
        os.close(fd)


def _ignore_missing(_func: Any, _path: str, exc_info: Any) -> None:
    if not issubclass(exc_info[0], FileNotFoundError):
        raise exc_info[1]


def _delete_matching(folder: Path, stem: str) -> None:
    """Delete the entries of `folder` whose names start with `stem` (all of them, and then the
    folder itself, when `stem` is empty). Missing things are fine: deletes may race."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if not entry.name.startswith(stem):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=_ignore_missing)
        else:
            Path(entry.path).unlink(missing_ok=True)
    if not stem:
        with contextlib.suppress(OSError):  # gone already, or a new file arrived meanwhile
            folder.rmdir()
