"""Stored result items into the contract's `result`: a freshly signed URL for every read."""

from __future__ import annotations

import functools
import time
from typing import Any

import orjson

from mediagate.storage import Storage

_PUBLIC_FIELDS = ("format", "size_bytes", "duration", "width", "height")


#: Results kept signed (per task and second): a client polling a finished task, the read every
#: client does last, gets the same list within a second at the cost of a lookup.
SIGNED_RESULTS = 4096


class ResultLinks:
    def __init__(self, storage: Storage, ttl_s: int, public_url: str | None = None) -> None:
        self.storage = storage
        self.ttl_s = ttl_s
        self.public_url = public_url.rstrip("/") if public_url else None
        self._signed = functools.lru_cache(maxsize=SIGNED_RESULTS)(self._public)

    def public(self, stored: str, task_id: str, base_url: str) -> list[dict[str, Any]]:
        """`stored` is the task's result column; `base_url` the URL the client called us on
        (used for gateway-served files unless MEDIAGATE_PUBLIC_URL says otherwise). Items
        stored with a preview get its `thumbnail_url` too. Signed afresh each second (a URL's
        expiry is counted in whole seconds, so within one it is the same string)."""
        signed = self._signed(stored, task_id, base_url, int(time.time()))
        return [dict(item) for item in signed]  # the caller's own (flat) items

    def _public(
        self, stored: str, task_id: str, base_url: str, _second: int
    ) -> list[dict[str, Any]]:
        items = orjson.loads(stored)
        out = []
        for index, item in enumerate(items):
            name = f"{task_id}-{index}" if len(items) > 1 else task_id
            content_type = item.get("content_type", "application/octet-stream")
            url = self._url(item["key"], f"{name}.{item['format']}", content_type, base_url)
            public = {"url": url, **{k: item[k] for k in _PUBLIC_FIELDS if k in item}}
            thumbnail = item.get("thumbnail_key")
            if thumbnail:
                content_type = item.get("thumbnail_content_type", "image/webp")
                extension = content_type.rpartition("/")[2]
                public["thumbnail_url"] = self._url(
                    thumbnail, f"{name}-thumbnail.{extension}", content_type, base_url
                )
            out.append(public)
        return out

    def _url(self, key: str, filename: str, content_type: str, base_url: str) -> str:
        url = self.storage.url(key, filename=filename, content_type=content_type, ttl_s=self.ttl_s)
        if url.startswith("/"):
            url = (self.public_url or base_url.rstrip("/")) + url
        return url
