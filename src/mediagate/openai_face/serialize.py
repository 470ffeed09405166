"""The contract's task object into OpenAI's video object."""

from __future__ import annotations

import calendar
import time
from typing import Any

import orjson

from mediagate.openai_face.inputs import seconds_of, size_of
from mediagate.tasks.statuses import Status

_STATUS = {
    Status.PENDING: "queued",
    Status.QUEUED: "queued",
    Status.RUNNING: "in_progress",
    Status.SUCCEEDED: "completed",
    Status.FAILED: "failed",
    Status.CANCELLED: "failed",
    Status.EXPIRED: "failed",
}

_ENDED = {
    Status.CANCELLED: ("cancelled", "the task was cancelled"),
    Status.EXPIRED: ("expired", "the task expired"),
}

#: Suggested interval between reads of an unfinished video (header `openai-poll-after-ms`).
POLL_AFTER_MS = 1000


def plain(task: dict[str, Any]) -> dict[str, Any]:
    """The task object with its embedded JSON (`input`, `metadata`) as Python values."""
    return orjson.loads(orjson.dumps(task))


def unix(iso: str | None) -> int | None:
    if iso is None:
        return None
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def error_of(task: dict[str, Any]) -> dict[str, str] | None:
    status = task["status"]
    if status in _ENDED:
        code, message = _ENDED[status]
        found = task.get("error")
        if found and found.get("message"):
            message = f"{message}: {found['message']}"
        return {"code": code, "message": message}
    if status == Status.FAILED:
        found = task.get("error") or {}
        return {
            "code": str(found.get("code") or "failed").lower(),
            "message": found.get("message") or "the task failed",
        }
    return None


def video_object(task: dict[str, Any], retention_s: int) -> dict[str, Any]:
    """`task` is a plain task object (`plain`) with its `input`."""
    task_input = task.get("input") or {}
    completed_at = unix(task.get("completed_at"))
    status = task["status"]
    return {
        "id": task["id"],
        "object": "video",
        "model": task["model"],
        "status": _STATUS[status],
        "progress": 100 if status == Status.SUCCEEDED else int(task.get("progress") or 0),
        "created_at": unix(task["created_at"]),
        "completed_at": completed_at,
        "expires_at": completed_at + retention_s
        if status == Status.SUCCEEDED and completed_at is not None
        else None,
        "seconds": seconds_of(None, task_input),
        "size": size_of(task_input),
        "prompt": task_input.get("prompt"),
        "error": error_of(task),
    }
