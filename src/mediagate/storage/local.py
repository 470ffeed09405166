"""Files on the local disk, served by the gateway itself under HMAC-signed URLs.

Layout: `<root>/<key>` (keys are checked by `storage.keys`, so nothing lands outside `root`).
`put_file` hard-links the source in place when the key is new (no bytes copied; the name
appears with the whole file behind it). Otherwise it links, or across file systems copies, the
source to a hidden temporary file beside the key and renames it over the key (`os.replace`):
readers see the old file or the new one, never half of one. Either way the file and its folder
are fsynced before `put_file` returns. Puts that arrive together are stored together in one
thread and synced as a group (`_store_batch`).

`url()` answers a *relative* URL, `<url_prefix>/<key>?exp=...&name=...&type=...&sig=...`
(`url_prefix` is `/files` by default, where `api/routes/files.py` serves). The caller makes it
absolute with the gateway's public URL (`tasks.results.ResultLinks` does: any URL starting
with `/` gets MEDIAGATE_PUBLIC_URL, or the URL of the request, put in front).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mediagate.core.batching import ThreadBatcher
from mediagate.storage.base import PROBE_BYTES, Storage
from mediagate.storage.keys import check_key, check_prefix, is_valid_key
from mediagate.storage.signing import URLSigner

#: A key that goes into a URL as it is (what `quote(key, safe="/")` leaves unchanged).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~/-]*")


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
        self._puts = ThreadBatcher(_store_batch)

    def path_of(self, key: str) -> Path:
        """The file of `key` under the root; raises InvalidKey for a key outside the rules."""
        return self.root / check_key(key)

    async def put_file(self, key: str, source: Path, content_type: str) -> int:
        return await self._puts(source, self.path_of(key), key=key)

    async def probe_write(self) -> None:
        # Bytes written into the store's own file system (a put would hard-link the source).
        await asyncio.to_thread(_probe_write, self.root)

    async def delete_prefix(self, prefix: str) -> None:
        folder, _, stem = check_prefix(prefix).rpartition("/")
        await asyncio.to_thread(_delete_matching, self.root / folder if folder else self.root, stem)

    def url(self, key: str, *, filename: str, content_type: str, ttl_s: int) -> str:
        check_key(key)
        query = self.signer.sign(key, self.signer.expires_at(ttl_s), filename, content_type)
        path = key if _PLAIN_KEY.fullmatch(key) else quote(key, safe="/")
        return f"{self.url_prefix}/{path}?{query}"

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


def _store_batch(batch: list[Sequence[Any]]) -> list[Any]:
    """Store each `(source, dest)`, answering its size or the exception that stopped it.

    All files are placed first (`_place`), then all are synced, then the temporary ones are
    renamed over their keys, then their folders are synced. Placing them all first lets the
    first sync commit the file system's journal for the whole batch, so the later ones find
    little left to do: two commits per batch rather than two per file (ext4, XFS)."""
    results: list[Any] = []
    placed: list[tuple[int, Path, Path]] = []  # (index, where it was put, its key's path)
    for source, dest in batch:
        try:
            path, size = _place(source, dest)
        except Exception as exc:
            results.append(exc)
            continue
        placed.append((len(results), path, dest))
        results.append(size)
    for index, path, _dest in placed:
        try:
            _fsync_file(path)  # the bytes are safe before a key names them
        except OSError as exc:
            results[index] = exc
    folders: set[Path] = set()
    for index, path, dest in placed:
        if not isinstance(results[index], BaseException):
            try:
                if path != dest:
                    os.replace(path, dest)
                folders.add(dest.parent)
                continue
            except OSError as exc:
                results[index] = exc
        path.unlink(missing_ok=True)  # ours alone: a new key's link, or a temporary file
    for folder in folders:
        _fsync_dir(folder)
    return results


def _place(source: Path, dest: Path) -> tuple[Path, int]:
    """Put `source`'s bytes at `dest`, or beside it; answers where, and the size.

    A new key is a hard link made in place: its name appears with the whole file behind it,
    and no byte is copied. An existing key gets a hidden temporary file (a link, or a copy
    when no link can be made) for `_store_batch` to rename over it, so that readers see the
    old file or the new one, never a mix."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        if _hard_link(source, dest):
            return dest, dest.stat().st_size
        linkable = False
    except FileExistsError:
        linkable = True
    tmp = dest.with_name(f".put-{secrets.token_hex(8)}.tmp")
    try:
        if not (linkable and _hard_link(source, tmp)):
            shutil.copyfile(source, tmp)
        return tmp, tmp.stat().st_size
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _hard_link(source: Path, target: Path) -> bool:
    """Make `target` a hard link to `source`; False where none can be made (another file
    system, too many links to `source`, or none supported). A missing `source` or an existing
    `target` raises."""
    try:
        os.link(source, target)
    except (FileNotFoundError, FileExistsError):
        raise
    except OSError:
        return False
    return True


def _probe_write(root: Path) -> None:
    """Write, sync and delete a hidden file of `PROBE_BYTES` under `root` (no key can name it)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f".readyz-{secrets.token_hex(8)}.tmp"
    try:
        with path.open("wb") as fh:
            fh.write(secrets.token_bytes(PROBE_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        path.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
