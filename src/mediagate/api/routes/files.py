"""`GET|HEAD /files/{key}`: files of the local store, under HMAC-signed, expiring URLs.

The signature is the whole authorisation (no API key: the URL is handed to browsers and
players). A missing, tampered or expired signature answers 403 `FORBIDDEN`; a valid one for
a file gone since (retention) answers 404 `NOT_FOUND`. Keys outside the storage key rules never
reach the file system, and a file resolving outside the store's root is never served.

Serving is Starlette's `FileResponse` (streamed, `Accept-Ranges: bytes`, ETag, Last-Modified,
`If-Range`, HEAD): one range answers 206 with `Content-Range`; several ranges answer 206
`multipart/byteranges` (overlapping ones merged); more than 100 ranges, or a malformed `Range`
header, are ignored (200, the whole file, as RFC 9110 allows); a range starting past the end
answers 416 with `Content-Range: bytes */<size>` in the error envelope.
"""

from __future__ import annotations

import math
import re
from mimetypes import guess_type

from fastapi import APIRouter, Request
from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response
from starlette.types import Receive, Scope, Send

from mediagate.api import responses
from mediagate.storage.disposition import content_disposition
from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import SignatureError

router = APIRouter(tags=["files"])

_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(;[\x20-\x7e]*)?")


class StoredFileResponse(FileResponse):
    """FileResponse with an unsatisfiable range answered in the contract's envelope and a
    malformed Range header ignored (Starlette would answer both in plain text). Relies on
    FileResponse's range parser, as of the pinned starlette (tests cover it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        http_range = headers.get("range")
        if_range = headers.get("if-range")
        stat = self.stat_result
        if (
            http_range is not None
            and stat is not None
            and (if_range is None or self._should_use_range(if_range))
        ):
            try:
                self._parse_range_header(http_range, stat.st_size)
            except RangeNotSatisfiable:
                answer = responses.error(
                    416,
                    "RANGE_NOT_SATISFIABLE",
                    f"Range: the file has {stat.st_size} bytes",
                    {"Content-Range": f"bytes */{stat.st_size}"},
                )
                await answer(scope, receive, send)
                return
            except MalformedRangeHeader:
                raw = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
                scope = {**scope, "headers": raw}
        await super().__call__(scope, receive, send)


def _media_type(signed: str | None, key: str) -> str:
    if signed and _CONTENT_TYPE.fullmatch(signed):
        return signed
    return guess_type(key)[0] or "application/octet-stream"


@router.head("/files/{key:path}", include_in_schema=False)
@router.get(
    "/files/{key:path}",
    response_class=Response,
    responses={
        200: {
            "description": "The file (a `Range` answers 206 with the part).",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
        206: {"description": "The requested range(s) of the file."},
        403: {"description": "A missing, tampered or expired signature (`FORBIDDEN`)."},
        404: {
            "description": "The file is gone (retention), or this gateway stores files "
            "elsewhere (`NOT_FOUND`)."
        },
        416: {"description": "The range starts past the end (`RANGE_NOT_SATISFIABLE`)."},
    },
)
async def download(key: str, request: Request) -> Response:
    storage = getattr(request.app.state, "storage", None)
    if not isinstance(storage, LocalStorage):
        return responses.error(404, "NOT_FOUND", "this gateway does not serve files itself")
    try:
        signed = storage.signer.verify(key, request.url.query)
    except SignatureError as exc:
        return responses.error(403, "FORBIDDEN", exc.message)
    found = await storage.stored_file(key)
    if found is None:
        return responses.error(404, "NOT_FOUND", "the file no longer exists")
    max_age = max(0, math.floor(signed.expires_at - storage.signer.clock()))
    return StoredFileResponse(
        found.path,
        stat_result=found.stat,
        media_type=_media_type(signed.content_type, key),
        headers={
            "Content-Disposition": content_disposition(signed.filename),
            "Cache-Control": f"private, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        },
    )
