"""POST /api/v1/tasks/{id}/cancel on pending and final tasks."""

from __future__ import annotations

import pytest

from helpers import ISO_Z, error_of, image_body, insert_tasks


def test_a_pending_task_is_cancelled_at_once(caller):
    task_id = caller.http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
    r = caller.http.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 200, r.text
    task = r.json()["data"]
    assert task["status"] == "cancelled"
    assert ISO_Z.fullmatch(task["completed_at"])
    assert task["cost"] == 0
    assert task["queue_position"] == -1 and task["eta_seconds"] == -1
    assert "result" not in task
    assert caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"] == task


def test_cancelling_twice_is_a_409(caller):
    task_id = caller.http.post("/api/v1/tasks", json=image_body()).json()["data"]["id"]
    caller.http.post(f"/api/v1/tasks/{task_id}/cancel")
    r = caller.http.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 409
    assert error_of(r)["code"] == "TASK_NOT_CANCELLABLE"


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled", "expired"])
def test_final_tasks_are_not_cancellable(caller, status):
    (task_id,) = caller.live.run(
        insert_tasks(caller.live.db, caller.key.account_id, 1, status=status)
    )
    r = caller.http.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 409
    error = error_of(r)
    assert error["code"] == "TASK_NOT_CANCELLABLE"
    assert status in error["message"]
    assert caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] == status


@pytest.mark.parametrize("task_id", ["task_AAAAAAAAAAAAAAAAAAAAAAAA", "%00", "t" * 5000])
def test_cancel_of_an_unknown_task_is_404(caller, task_id):
    r = caller.http.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 404
    assert error_of(r)["code"] == "TASK_NOT_FOUND"
