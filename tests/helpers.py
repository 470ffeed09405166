"""Test helpers: building tasks quickly and checking the contract's shapes."""

from __future__ import annotations

import re
from typing import Any

from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.tasks import repository

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TASK_ID = re.compile(r"task_[A-Za-z0-9_-]{20,}")


def image_body(prompt: str = "a red fox", **extra: Any) -> dict[str, Any]:
    return {"type": "image", "model": "local-image", "input": {"prompt": prompt}, **extra}


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False, body
    assert set(body) == {"success", "error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    return body["error"]


_RESULT = jsonutil.dumps([{"url": "stored", "format": "png", "size_bytes": 10}])


async def insert_tasks(
    db: Any,
    account_id: str,
    count: int,
    *,
    created_at: int | None = None,
    step_us: int = 0,
    status: str = "pending",
    model: str = "local-image",
    task_type: str = "image",
    provider: str = "local",
) -> list[str]:
    """Insert `count` tasks straight into the store; with `step_us=0` they share created_at."""
    base = created_at if created_at is not None else now_us()
    ids = []
    async with db.write() as conn:
        for i in range(count):
            task_id = new_id("task")
            ts = base + i * step_us
            await repository.insert(
                conn,
                {
                    "id": task_id,
                    "account_id": account_id,
                    "key_id": "key_test",
                    "type": task_type,
                    "model": model,
                    "provider": provider,
                    "status": status,
                    "input": jsonutil.dumps({"prompt": f"p{i}"}),
                    "metadata": jsonutil.dumps({"i": i}),
                    "timeout_s": 300,
                    "created_at": ts,
                    "updated_at": ts,
                    "completed_at": ts if status in ("succeeded", "failed", "cancelled") else None,
                    "result": _RESULT if status == "succeeded" else None,
                    "error_code": "PROVIDER_ERROR" if status == "failed" else None,
                    "error_message": "the provider failed" if status == "failed" else None,
                },
            )
            ids.append(task_id)
    return ids
