"""Copy a job's outputs into storage: fetch (size-capped), measure, type-check, store."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from mediagate.core.batching import ThreadBatcher
from mediagate.media import MediaInfo, UnsupportedMedia, probe
from mediagate.media.thumbnail import CONTENT_TYPE as THUMBNAIL_CONTENT_TYPE
from mediagate.media.thumbnail import FORMAT as THUMBNAIL_FORMAT
from mediagate.media.thumbnail import ThumbnailUnavailable, make_thumbnail
from mediagate.providers import JobOutput, ProviderError, RetryableError
from mediagate.providers.egress import EgressRefused
from mediagate.storage import Storage

#: The formats a task of each type may deliver.
FORMATS_BY_TYPE = {
    "image": {"png", "jpg", "webp"},
    "video": {"mp4"},
    "audio": {"wav", "mp3"},
    "music": {"wav", "mp3"},
    "model3d": {"glb"},
}
_CHUNK = 1 << 16
log = logging.getLogger(__name__)


class ResultUnavailable(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__("RESULT_UNAVAILABLE", message)


class StorageFull(RetryableError):
    """The store (or the disk the gateway downloads outputs to) is full: retried like a
    transient error (space may be freed meanwhile, by retention or the operator), and if it
    stays full the task fails with `RESULT_UNAVAILABLE` saying so (a user can act on that:
    retry later), not with an `INTERNAL_ERROR` that reads like a bug."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="RESULT_UNAVAILABLE")


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


async def collect(
    outputs: Sequence[JobOutput],
    *,
    task_type: str,
    key_prefix: str,
    storage: Storage,
    http: httpx.AsyncClient,
    work_dir: Path,
    max_bytes: int,
) -> list[dict[str, Any]]:
    """Store every output under `key_prefix/<n>.<format>`; returns the stored result items
    (storage key and measured fields). Transient fetch failures raise RetryableError."""
    if not outputs:
        raise ResultUnavailable("the provider reported success but returned no output file")
    items = []
    for index, output in enumerate(outputs):
        tmp = work_dir / f"{key_prefix.replace('/', '_')}-{index}.part"
        try:
            # A local file (the offline provider's) is measured and stored where it is; a URL
            # is first streamed into a temporary file.
            if output.path is not None:
                source = output.path
                info = await _MEASURE_LOCAL(source, index, max_bytes)
            else:
                await _fetch(output, tmp, http, max_bytes)
                source = tmp
                info = await _MEASURE(source, index)
            if info.format not in FORMATS_BY_TYPE[task_type]:
                raise ResultUnavailable(
                    f"output {index} is {info.format}, not a {task_type} format"
                )
            key = f"{key_prefix}/{index}.{info.format}"
            try:
                size = await storage.put_file(key, source, info.mime_type)
            except OSError as exc:
                if exc.errno not in _DISK_FULL:
                    raise
                raise StorageFull(
                    f"the result storage is full ({exc.strerror}); output {index} could not be "
                    "stored: retry the task once the gateway's operator freed space"
                ) from None
            thumbnail = await _store_thumbnail(source, info, f"{key_prefix}/{index}", storage, tmp)
        finally:
            if output.path is None:
                tmp.unlink(missing_ok=True)  # a fetched copy; a local output stays
        item: dict[str, Any] = {
            "key": key,
            "format": info.format,
            "content_type": info.mime_type,
            "size_bytes": size,
        }
        for name in ("duration", "width", "height"):
            value = getattr(info, name)
            if value is not None:
                item[name] = round(value, 3) if name == "duration" else value
        items.append(item | thumbnail)
    return items


async def _store_thumbnail(
    source: Path, info: MediaInfo, stem: str, storage: Storage, tmp: Path
) -> dict[str, str]:
    """Make and store the preview of `source` as `<stem>.thumb.webp`; its stored item fields,
    or none when it cannot be made or stored (a result stands without a preview)."""
    dest = tmp.with_name(f"{tmp.stem}.thumb.{THUMBNAIL_FORMAT}")
    key = f"{stem}.thumb.{THUMBNAIL_FORMAT}"
    try:
        await _THUMBNAIL(source, info, dest)
        await storage.put_file(key, dest, THUMBNAIL_CONTENT_TYPE)
    except ThumbnailUnavailable as exc:
        log.info("no thumbnail for %s: %s", stem, exc)
        return {}
    except Exception as exc:  # e.g. the store refused it: still not the result's failure
        log.warning("no thumbnail for %s: %s: %s", stem, type(exc).__name__, exc)
        return {}
    finally:
        dest.unlink(missing_ok=True)  # stored (linked or copied) or abandoned
    return {"thumbnail_key": key, "thumbnail_content_type": THUMBNAIL_CONTENT_TYPE}


def _thumbnail(source: Path, info: MediaInfo, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    make_thumbnail(source, info.format, dest, duration=info.duration)


def _measure_local(path: Path, index: int, max_bytes: int) -> MediaInfo:
    """Size-check and measure a local output in one go (one hop to a thread)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ResultUnavailable(f"the output file is missing: {exc.strerror}") from None
    if size > max_bytes:
        raise ResultUnavailable(f"the output is {size} bytes; the limit is {max_bytes}")
    return _measure(path, index)


def _measure(path: Path, index: int) -> MediaInfo:
    try:
        return probe(path)
    except UnsupportedMedia as exc:
        raise ResultUnavailable(f"output {index} is not a usable file: {exc}") from None


async def _fetch(output: JobOutput, dest: Path, http: httpx.AsyncClient, max_bytes: int) -> None:
    if output.url is None:
        raise ResultUnavailable("the provider returned an output without a URL")
    await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
    try:
        async with http.stream("GET", output.url, headers=dict(output.headers)) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise RetryableError(f"fetching the output: HTTP {response.status_code}")
            if response.status_code != 200:
                raise ResultUnavailable(
                    f"fetching the output answered HTTP {response.status_code}"
                    + (" (the URL expired?)" if response.status_code in (403, 404, 410) else "")
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ResultUnavailable(f"the output is {declared} bytes; the limit is {max_bytes}")
            written = 0
            with dest.open("wb") as fh:
                async for chunk in response.aiter_bytes(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise ResultUnavailable(
                            f"the output exceeds the limit of {max_bytes} bytes"
                        )
                    fh.write(chunk)
    except httpx.TransportError as exc:
        raise RetryableError(f"fetching the output: {type(exc).__name__}: {exc}") from None
    except EgressRefused as exc:
        raise ResultUnavailable(f"the output's URL was refused: {exc.message}") from None
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        raise StorageFull(
            f"the gateway's disk is full ({exc.strerror}); the output could not be downloaded: "
            "retry the task once the gateway's operator freed space"
        ) from None


# Concurrent steps' measurements share thread hops (a burst of finishing jobs is many of them).
_MEASURE = ThreadBatcher.each(_measure)
_MEASURE_LOCAL = ThreadBatcher.each(_measure_local)
# Previews are CPU work: at most two threads at it, so a burst leaves cores for the rest.
_THUMBNAIL = ThreadBatcher.each(_thumbnail, max_inflight=2)
