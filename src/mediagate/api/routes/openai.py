"""The OpenAI-compatible face: `/v1/videos...` and `/v1/images/generations`, for code written
against OpenAI's SDK (`OpenAI(base_url=".../v1", api_key="mg_...")`). Same keys, isolation and
tasks as `/api/v1`; errors in OpenAI's shape (`openai_face.errors`, picked by path)."""

from __future__ import annotations

import base64
import io
from pathlib import PurePosixPath
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from mediagate.accounts.repository import Principal
from mediagate.api import docs
from mediagate.api.auth import bearer_secret, require_principal
from mediagate.api.body import parse_json
from mediagate.api.links import linker_for
from mediagate.api.routes.files import StoredFileResponse, _media_type
from mediagate.core.errors import InvalidParameter, PayloadTooLarge
from mediagate.media.sniff import sniff
from mediagate.openai_face import service
from mediagate.openai_face.schemas import (
    INPUT_REFERENCE_MAX_BYTES,
    CreateVideoRequest,
    ImageGenerationRequest,
    ImagesResponse,
    Video,
    VideoDeleted,
    VideoList,
)
from mediagate.openai_face.serialize import POLL_AFTER_MS
from mediagate.storage.disposition import content_disposition
from mediagate.storage.local import LocalStorage
from mediagate.tasks.service import validation_param

router = APIRouter(prefix="/v1", tags=["openai"])

_VIDEO_SCHEMA = CreateVideoRequest.model_json_schema()
_VIDEO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _VIDEO_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    **_VIDEO_SCHEMA,
                    "properties": {
                        **_VIDEO_SCHEMA["properties"],
                        "input_reference": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}
_IMAGES_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ImageGenerationRequest.model_json_schema()}},
    }
}


_VIDEO_EXAMPLE = {
    "id": "task_V1StGXR8Z5jdHi6BmyT2",
    "object": "video",
    "model": "sora-2",
    "status": "in_progress",
    "progress": 40,
    "created_at": 1764583200,
    "completed_at": None,
    "expires_at": None,
    "seconds": "4",
    "size": "1280x720",
    "prompt": "a fox in the snow",
    "error": None,
}
_BAD = "A bad parameter, named in `param`."
_NO_VIDEO = "No such video in the key's account and mode."
_PAYMENT = "The account's credits or the key's spend limit do not cover the task."
_VIDEO_LINKS = {
    name: {"operationId": operation, "parameters": {"video_id": "$response.body#/id"}}
    for name, operation in (
        ("GetVideo", "get_video"),
        ("DeleteVideo", "delete_video"),
        ("VideoContent", "video_content"),
    )
}


def _doc(description: str, example: Any, model: Any, errors: dict[int, str], **kw: Any) -> dict:
    return docs.responses(200, description, example, errors, model=model, envelope=False, **kw)


def _json(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status_code, media_type="application/json", headers=headers
    )


def _retention_s(request: Request) -> int:
    return int(request.app.state.settings.result_retention.total_seconds())


def _video_headers(video: dict[str, Any]) -> dict[str, str] | None:
    if video["status"] in ("queued", "in_progress"):
        return {"openai-poll-after-ms": str(POLL_AFTER_MS)}
    return None


async def _input_reference(upload: Any) -> str:
    """An uploaded image as a data: URI; size-capped and checked to be an image."""
    if not isinstance(upload, UploadFile):
        raise InvalidParameter("input_reference", "must be an uploaded image file")
    data = await upload.read(INPUT_REFERENCE_MAX_BYTES + 1)
    if len(data) > INPUT_REFERENCE_MAX_BYTES:
        raise PayloadTooLarge(f"input_reference: larger than {INPUT_REFERENCE_MAX_BYTES} bytes")
    sniffed = _sniff_image(data)  # by its bytes: the declared type is the client's guess
    if sniffed is None:
        raise InvalidParameter("input_reference", "must be a PNG, JPEG or WebP image")
    return f"data:{sniffed};base64,{base64.b64encode(data).decode('ascii')}"


_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def _sniff_image(data: bytes) -> str | None:
    """The image's media type by its leading bytes (the project's sniffer), or None."""
    return _IMAGE_TYPES.get(sniff(io.BytesIO(data)) or "")


@router.post(
    "/videos",
    openapi_extra=_VIDEO_BODY,
    responses=_doc(
        "The video, `queued`.",
        {**_VIDEO_EXAMPLE, "status": "queued", "progress": 0},
        Video,
        {400: _BAD, 402: _PAYMENT, 409: "The `Idempotency-Key` was used with another body."},
        links=_VIDEO_LINKS,
    ),
)
async def create_video(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Create a video (JSON or multipart with an `input_reference` image)."""
    image_uri = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=20) as form:
            fields: dict[str, Any] = {}
            for name, value in form.multi_items():
                if name == "input_reference":
                    image_uri = await _input_reference(value)
                elif isinstance(value, str):
                    fields[name] = value
                else:
                    raise InvalidParameter(name, "must be a form field, not a file")
        try:
            body = CreateVideoRequest.model_validate(fields)
        except ValidationError as exc:
            raise validation_param(exc) from None
    else:
        body = parse_json(await request.body(), CreateVideoRequest)
    video = await service.create_video(
        request.app.state.db,
        principal,
        body,
        _retention_s(request),
        image_uri=image_uri,
        idempotency_key=request.headers.get("idempotency-key"),
        unavailable=request.app.state.providers.unavailable,
    )
    request.app.state.wakeup.notify_local()
    return _json(video, headers=_video_headers(video))


@router.get(
    "/videos",
    responses=_doc(
        "A page of videos.",
        {"object": "list", "data": [_VIDEO_EXAMPLE], "first_id": _VIDEO_EXAMPLE["id"],
         "last_id": _VIDEO_EXAMPLE["id"], "has_more": False},
        VideoList,
        {400: _BAD},
    ),
)  # fmt: skip
async def list_videos(
    request: Request,
    after: str | None = None,
    limit: int = Query(default=20, ge=1, le=100),
    order: str = Query(default="desc", pattern="^(asc|desc)$"),
    principal: Principal = Depends(require_principal),
) -> Response:
    """The account's videos, newest first (`order=asc`: oldest first), after the id `after`."""
    page = await service.list_videos(
        request.app.state.db,
        principal,
        _retention_s(request),
        after=after,
        limit=limit,
        order=order,
    )
    return _json(page)


@router.get(
    "/videos/{video_id}", responses=_doc("The video.", _VIDEO_EXAMPLE, Video, {404: _NO_VIDEO})
)
async def get_video(
    request: Request, video_id: str, _principal: Principal = Depends(require_principal)
) -> Response:
    video = await service.get_video(
        request.app.state.db, bearer_secret(request), video_id, _retention_s(request)
    )
    if video["status"] in ("queued", "in_progress"):  # someone is watching: fresh progress
        request.app.state.watch.seen(video_id)
    return _json(video, headers=_video_headers(video))


@router.delete(
    "/videos/{video_id}",
    responses=_doc(
        "Deleted.",
        {"id": _VIDEO_EXAMPLE["id"], "object": "video.deleted", "deleted": True},
        VideoDeleted,
        {404: _NO_VIDEO},
    ),
)
async def delete_video(
    request: Request, video_id: str, principal: Principal = Depends(require_principal)
) -> Response:
    """Cancels the video if unfinished and deletes its files."""
    answer = await service.delete_video(
        request.app.state.db,
        principal,
        bearer_secret(request),
        request.app.state.storage,
        video_id,
    )
    request.app.state.wakeup.notify_local()
    return _json(answer)


@router.get(
    "/videos/{video_id}/content",
    response_class=Response,
    responses={
        200: {
            "description": "The video's (or thumbnail's) bytes; `Range` answers 206.",
            "content": {"video/mp4": {"schema": {"type": "string"}}},
        },
        206: {"description": "The requested range."},
        302: {"description": "A presigned URL of the object store holding the file."},
        400: {"description": _BAD},
        401: {"description": docs.UNAUTHORIZED},
        404: {"description": "No such video, or it has no such file (not finished, expired)."},
        416: {"description": "The range starts past the end."},
    },
)
async def video_content(
    request: Request,
    video_id: str,
    variant: str = Query(default="video", pattern="^(video|thumbnail)$"),
    _principal: Principal = Depends(require_principal),
) -> Response:
    """The video's bytes (or its thumbnail's), streamed from storage, with Range support."""
    item, key = await service.video_content(
        request.app.state.db, bearer_secret(request), video_id, variant
    )
    assert key is not None
    storage = request.app.state.storage
    if variant == "video":
        filename, content_type = item.filename, item.content_type
    else:
        extension = PurePosixPath(key).suffix or ".webp"
        filename = f"{video_id}-thumbnail{extension}"
        content_type = _media_type(item.thumbnail_content_type, key)
    if isinstance(storage, LocalStorage):
        found = await storage.stored_file(key)
        if found is None:
            raise service.NotFound(f"the {variant} of video {video_id} no longer exists")
        return StoredFileResponse(
            found.path,
            stat_result=found.stat,
            media_type=content_type,
            headers={
                "Content-Disposition": content_disposition(filename),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
    ttl = request.app.state.settings.url_ttl_seconds
    url = storage.url(key, filename=filename, content_type=content_type, ttl_s=ttl)
    return RedirectResponse(url, status_code=302)


@router.post(
    "/images/generations",
    openapi_extra=_IMAGES_BODY,
    responses=_doc(
        "The images, once every task succeeded.",
        {"created": 1764583200, "data": [{"url": "https://gateway.example/files/..."}]},
        ImagesResponse,
        {
            400: _BAD,
            402: _PAYMENT,
            500: "A task failed (`GENERATION_FAILED`); the message names it.",
            504: "The images were not ready in time; the message names the tasks to follow.",
        },
    ),
)
async def generate_images(
    request: Request, principal: Principal = Depends(require_principal)
) -> Response:
    """Create the image task(s) and answer when the images are ready."""
    body = parse_json(await request.body(), ImageGenerationRequest)
    settings = request.app.state.settings
    answer = await service.generate_images(
        request.app.state.db,
        principal,
        bearer_secret(request),
        body,
        storage=request.app.state.storage,
        links=linker_for(request.scope),
        wait_s=settings.openai_images_wait_seconds,
        ttl_s=settings.url_ttl_seconds,
        unavailable=request.app.state.providers.unavailable,
        on_created=request.app.state.wakeup.notify_local,
    )
    return _json(answer)
