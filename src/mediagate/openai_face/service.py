"""The OpenAI-compatible face's operations: thin, over `mediagate.tasks.service` (the same
create, get, list and cancel as `/api/v1/tasks`, so a video made here is a task there)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from mediagate.accounts.repository import Principal
from mediagate.catalog import CATALOG, ModelSpec
from mediagate.core.errors import (
    InvalidParameter,
    ModelNotFound,
    ServiceError,
    TaskNotCancellable,
    TaskNotFound,
)
from mediagate.db import Database
from mediagate.openai_face import inputs
from mediagate.openai_face.schemas import CreateVideoRequest, ImageGenerationRequest
from mediagate.openai_face.serialize import plain, video_object
from mediagate.storage import Storage
from mediagate.storage.local import LocalStorage
from mediagate.tasks import service as tasks
from mediagate.tasks.repository import ListFilters
from mediagate.tasks.schemas import CreateTaskRequest
from mediagate.tasks.serialize import Linker
from mediagate.tasks.statuses import FINAL, Status

Unavailable = tasks.Unavailable | None


class NotFound(ServiceError):
    status_code = 404
    code = "NOT_FOUND"


class ImagesNotReady(ServiceError):
    """The wait ran out; the tasks go on and are followed on `/api/v1/tasks`. The SDK is told
    not to retry (a retry would create new tasks)."""

    status_code = 504
    code = "TIMEOUT"


class ImagesFailed(ServiceError):
    status_code = 500
    code = "GENERATION_FAILED"


def _spec(model: str, task_type: str) -> ModelSpec:
    spec = CATALOG.get(model)
    if spec is None:
        raise ModelNotFound(f"model {model!r} is not in the catalog; GET /api/v1/models lists them")
    if spec.type != task_type:
        raise InvalidParameter(
            "model", f"model {spec.id!r} makes {spec.type} tasks, not {task_type}s"
        )
    return spec


async def create_video(
    db: Database,
    principal: Principal,
    body: CreateVideoRequest,
    retention_s: int,
    *,
    image_uri: str | None = None,
    idempotency_key: str | None = None,
    unavailable: Unavailable = None,
) -> dict[str, Any]:
    spec = _spec(body.model, "video")
    task_input = inputs.video_input(spec, body.prompt, body.seconds, body.size, image_uri)
    request = CreateTaskRequest(type="video", model=spec.id, input=task_input)
    created = await tasks.create(db, principal, request, idempotency_key, unavailable=unavailable)
    return video_object(plain(created.task), retention_s)


async def _video_task(
    db: Database, secret: str, video_id: str, links: Linker | None = None
) -> dict[str, Any]:
    task = plain(await tasks.get_for_key(db, secret, video_id, links))
    if task["type"] != "video":
        raise TaskNotFound()
    return task


async def get_video(db: Database, secret: str, video_id: str, retention_s: int) -> dict[str, Any]:
    return video_object(await _video_task(db, secret, video_id), retention_s)


async def list_videos(
    db: Database,
    principal: Principal,
    retention_s: int,
    *,
    after: str | None,
    limit: int,
    order: str,
) -> dict[str, Any]:
    cursor_text = None
    if after is not None:
        try:
            cursor_text = await tasks.cursor_at(db, principal, after)
        except TaskNotFound:
            raise InvalidParameter("after", f"no video {after!r}") from None
    page = await tasks.list_page(
        db,
        principal,
        ListFilters(type="video"),
        cursor_text=cursor_text,
        limit=limit,
        ascending=order == "asc",
        with_total=False,
        with_input=True,
    )
    data = [video_object(plain(item), retention_s) for item in page.items]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }


async def delete_video(
    db: Database, principal: Principal, secret: str, storage: Storage, video_id: str
) -> dict[str, Any]:
    """Cancels the task if unfinished and removes its files; the task stays listed."""
    task = await _video_task(db, secret, video_id)
    if task["status"] not in FINAL:
        with contextlib.suppress(TaskNotCancellable):  # it finished meanwhile
            await tasks.cancel(db, principal, video_id)
    await storage.delete_prefix(f"{principal.account_id}/{video_id}/")
    return {"id": video_id, "object": "video.deleted", "deleted": True}


@dataclass(frozen=True)
class StoredItem:
    key: str
    content_type: str
    filename: str
    thumbnail_key: str | None
    thumbnail_content_type: str | None


async def stored_items(db: Database, secret: str, task_id: str) -> tuple[dict, list[StoredItem]]:
    """The task and its stored result items (storage keys), read through the task service."""
    captured: list[StoredItem] = []

    def capture(stored: str, tid: str) -> list[dict[str, Any]]:
        items = orjson.loads(stored)
        for index, item in enumerate(items):
            suffix = f"-{index}" if len(items) > 1 else ""
            captured.append(
                StoredItem(
                    item["key"],
                    item.get("content_type", "application/octet-stream"),
                    f"{tid}{suffix}.{item['format']}",
                    item.get("thumbnail_key"),
                    item.get("thumbnail_content_type"),
                )
            )
        return []

    task = await tasks.get_for_key(db, secret, task_id, capture)
    return plain(task), captured


async def video_content(
    db: Database, secret: str, video_id: str, variant: str
) -> tuple[StoredItem, str | None]:
    """(the item, the key of the variant's file); 404 when not (yet or any more) there."""
    task, items = await stored_items(db, secret, video_id)
    if task["type"] != "video":
        raise TaskNotFound()
    if task["status"] != Status.SUCCEEDED or not items:
        raise NotFound(f"video {video_id} has no content (it is {task['status']})")
    item = items[0]
    key = item.key if variant == "video" else item.thumbnail_key
    if key is None:
        raise NotFound(f"video {video_id} has no {variant}")
    return item, key


async def _read_bytes(storage: Storage, item: StoredItem, ttl_s: int) -> bytes:
    if isinstance(storage, LocalStorage):
        found = await storage.stored_file(item.key)
        if found is None:
            raise NotFound("the image file no longer exists")
        return await asyncio.to_thread(found.path.read_bytes)
    url = storage.url(item.key, filename=item.filename, content_type=item.content_type, ttl_s=ttl_s)
    async with httpx.AsyncClient(timeout=60) as client:
        answer = await client.get(url)
        answer.raise_for_status()
        return answer.content


async def generate_images(
    db: Database,
    principal: Principal,
    secret: str,
    body: ImageGenerationRequest,
    *,
    storage: Storage,
    links: Linker | None,
    wait_s: float,
    ttl_s: int,
    unavailable: Unavailable = None,
    on_created: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Waits (polling the task service) at most `wait_s` for the images."""
    spec = _spec(body.model, "image")
    ids = []
    for task_input in inputs.image_inputs(spec, body.prompt, body.n, body.size):
        request = CreateTaskRequest(type="image", model=spec.id, input=task_input)
        created = await tasks.create(db, principal, request, None, unavailable=unavailable)
        ids.append(created.task["id"])
        if on_created is not None:
            on_created()
    deadline = time.monotonic() + wait_s
    pending = list(ids)
    delay = 0.1
    while pending:
        task = await tasks.get_for_key(db, secret, pending[0])
        if task["status"] in FINAL:
            if task["status"] != Status.SUCCEEDED:
                error = plain(task).get("error") or {}
                raise ImagesFailed(
                    f"image task {task['id']} {task['status']}: "
                    f"{error.get('message') or 'no result'} (GET /api/v1/tasks/{task['id']})",
                    headers={"x-should-retry": "false"},
                )
            pending.pop(0)
            continue
        if time.monotonic() >= deadline:
            raise ImagesNotReady(
                f"the images were not ready within {wait_s:g} s; follow task(s) "
                f"{', '.join(ids)} on /api/v1/tasks/{{id}}",
                headers={"x-should-retry": "false"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    data: list[dict[str, Any]] = []
    for task_id in ids:
        if body.response_format == "url":
            task = plain(await tasks.get_for_key(db, secret, task_id, links))
            data.extend({"url": item["url"]} for item in task.get("result", []))
        else:
            _, items = await stored_items(db, secret, task_id)
            for item in items:
                raw = await _read_bytes(storage, item, ttl_s)
                data.append({"b64_json": base64.b64encode(raw).decode("ascii")})
    return {"created": int(time.time()), "data": data}
