"""GET /api/v1/tasks: order, filters, keyset paging, total, and bad parameters."""

from __future__ import annotations

import pytest

from helpers import error_of, image_body, insert_tasks
from mediagate.core.clock import iso_from_us, now_us


def _all_pages(http, **params):
    seen, cursor, pages = [], None, 0
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = http.get("/api/v1/tasks", params=query).json()
        assert body["success"] is True, body
        seen.extend(t["id"] for t in body["data"])
        pages += 1
        if not body["pagination"]["hasMore"]:
            assert body["pagination"]["cursor"] is None
            return seen, pages
        cursor = body["pagination"]["cursor"]
        assert isinstance(cursor, str) and cursor


def test_newest_first_with_ties_broken_by_id(caller):
    live = caller.live
    base = now_us() - 10_000_000
    older = live.run(insert_tasks(live.db, caller.key.account_id, 3, created_at=base))
    newer = live.run(insert_tasks(live.db, caller.key.account_id, 3, created_at=base + 1_000_000))
    ids = [t["id"] for t in caller.http.get("/api/v1/tasks").json()["data"]]
    assert ids == sorted(newer, reverse=True) + sorted(older, reverse=True)


def test_list_items_carry_everything_but_result(caller):
    live = caller.live
    live.run(insert_tasks(live.db, caller.key.account_id, 1, status="succeeded"))
    live.run(insert_tasks(live.db, caller.key.account_id, 1, status="failed"))
    body = caller.http.get("/api/v1/tasks").json()
    assert set(body) == {"success", "data", "pagination"}
    assert set(body["pagination"]) == {"cursor", "hasMore", "total"}
    by_status = {t["status"]: t for t in body["data"]}
    assert "result" not in by_status["succeeded"]
    assert by_status["failed"]["error"] == {
        "code": "PROVIDER_ERROR",
        "message": "the provider failed",
    }
    for task in body["data"]:
        assert {"id", "type", "status", "provider", "model", "progress", "queue_position",
                "eta_seconds", "cost", "created_at", "started_at", "completed_at",
                "metadata"} <= set(task)  # fmt: skip
    # the single read does carry the result
    task_id = by_status["succeeded"]["id"]
    assert "result" in caller.http.get(f"/api/v1/tasks/{task_id}").json()["data"]


def test_paging_over_equal_timestamps_repeats_and_skips_nothing(caller):
    live = caller.live
    ts = now_us()
    ids = live.run(insert_tasks(live.db, caller.key.account_id, 57, created_at=ts))
    ids += live.run(insert_tasks(live.db, caller.key.account_id, 23, created_at=ts - 5))
    seen, pages = _all_pages(caller.http, limit=7)
    assert pages == 12
    assert len(seen) == len(set(seen)) == 80
    assert set(seen) == set(ids)


def test_tasks_created_between_pages_neither_repeat_nor_skip(caller):
    live = caller.live
    original = live.run(
        insert_tasks(
            live.db, caller.key.account_id, 30, created_at=now_us() - 60_000_000, step_us=1
        )
    )
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = caller.http.get("/api/v1/tasks", params=params).json()
        seen.extend(t["id"] for t in body["data"])
        # a new task arrives after every page, some with a timestamp equal to existing ones
        caller.http.post("/api/v1/tasks", json=image_body())
        live.run(insert_tasks(live.db, caller.key.account_id, 1, created_at=now_us() - 60_000_000))
        if not body["pagination"]["hasMore"]:
            break
        cursor = body["pagination"]["cursor"]
    assert len(seen) == len(set(seen))
    assert set(original) <= set(seen)


def test_total_counts_every_match_not_just_the_page(caller):
    live = caller.live
    live.run(insert_tasks(live.db, caller.key.account_id, 25, status="succeeded"))
    live.run(insert_tasks(live.db, caller.key.account_id, 5, status="failed"))
    body = caller.http.get("/api/v1/tasks", params={"limit": 10}).json()
    assert len(body["data"]) == 10
    assert body["pagination"] == {**body["pagination"], "hasMore": True, "total": 30}
    body = caller.http.get("/api/v1/tasks", params={"status": "failed", "limit": 10}).json()
    assert body["pagination"]["total"] == 5 and body["pagination"]["hasMore"] is False
    assert len(body["data"]) == 5
    last = caller.http.get("/api/v1/tasks", params={"limit": 30}).json()
    assert last["pagination"]["hasMore"] is False and last["pagination"]["cursor"] is None


@pytest.fixture
def mixed(caller):
    """Tasks spread over statuses, providers, models and three days."""
    live, acct = caller.live, caller.key.account_id
    day = 86_400_000_000
    t0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    made = {}
    made["img_ok_d0"] = live.run(insert_tasks(live.db, acct, 3, created_at=t0, status="succeeded"))
    made["img_fail_d1"] = live.run(
        insert_tasks(live.db, acct, 2, created_at=t0 + day, status="failed")
    )
    made["vid_ok_d1"] = live.run(
        insert_tasks(
            live.db,
            acct,
            4,
            created_at=t0 + day + 5,
            status="succeeded",
            model="local-video",
            task_type="video",
        )
    )
    made["kling_run_d2"] = live.run(
        insert_tasks(
            live.db,
            acct,
            2,
            created_at=t0 + 2 * day,
            status="running",
            model="kling-v2",
            task_type="video",
            provider="kling",
        )
    )
    return caller, made, t0, day


def _ids(caller, **params):
    body = caller.http.get("/api/v1/tasks", params={"limit": 100, **params}).json()
    assert body["success"] is True, body
    assert body["pagination"]["total"] == len(body["data"])
    return set(t["id"] for t in body["data"])


def test_each_filter_alone(mixed):
    caller, made, t0, day = mixed
    assert _ids(caller, status="succeeded") == set(made["img_ok_d0"] + made["vid_ok_d1"])
    assert _ids(caller, status="failed") == set(made["img_fail_d1"])
    assert _ids(caller, status="pending") == set()
    assert _ids(caller, provider="kling") == set(made["kling_run_d2"])
    assert _ids(caller, provider="local") == set(
        made["img_ok_d0"] + made["img_fail_d1"] + made["vid_ok_d1"]
    )
    assert _ids(caller, modelId="local-video") == set(made["vid_ok_d1"])
    assert _ids(caller, startDate=iso_from_us(t0 + day)) == set(
        made["img_fail_d1"] + made["vid_ok_d1"] + made["kling_run_d2"]
    )
    assert _ids(caller, endDate=iso_from_us(t0 + day)) == set(made["img_ok_d0"])
    assert _ids(caller, endDate="2026-01-02") == set(made["img_ok_d0"])
    one = made["vid_ok_d1"][0]
    assert one in _ids(caller, search=one[:12])
    assert _ids(caller, search=one) == {one}
    assert _ids(caller, search=one.swapcase()) == set() or one.swapcase() == one


def test_filters_combined(mixed):
    caller, made, _t0, _day = mixed
    assert _ids(caller, status="succeeded", modelId="local-image") == set(made["img_ok_d0"])
    assert _ids(caller, status="succeeded", startDate="2026-01-02T00:00:00Z") == set(
        made["vid_ok_d1"]
    )
    assert _ids(caller, provider="local", startDate="2026-01-02", endDate="2026-01-03") == set(
        made["img_fail_d1"] + made["vid_ok_d1"]
    )
    assert _ids(caller, provider="kling", status="succeeded") == set()
    target = made["kling_run_d2"][1]
    assert _ids(caller, provider="kling", status="running", search=target) == {target}


def test_filters_apply_across_pages(mixed):
    caller, made, _t0, _day = mixed
    seen, pages = _all_pages(caller.http, status="succeeded", limit=2)
    assert pages == 4
    assert sorted(seen) == sorted(made["img_ok_d0"] + made["vid_ok_d1"])


def test_unknown_query_parameters_are_ignored(caller):
    r = caller.http.get("/api/v1/tasks", params={"colour": "blue", "page": "7"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"status": "done"}, "status"),
        ({"status": ""}, "status"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"startDate": "2026-13-01"}, "startDate"),
        ({"endDate": "2026-01-01T25:00:00Z"}, "endDate"),
        ({"endDate": ""}, "endDate"),
        ({"startDate": "2026-02-01", "endDate": "2026-01-01"}, "startDate"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "MTIzLnRhc2tfYWJj" + "A" * 300}, "cursor"),
        ({"cursor": "bm90LWEtbnVtYmVyLnRhc2tfYWJj"}, "cursor"),  # "not-a-number.task_abc"
        ({"search": "x" * 65}, "search"),
        ({"provider": "p" * 41}, "provider"),
        ({"modelId": ""}, "modelId"),
        ({"modelId": "local-image\x00"}, "modelId"),
        ({"search": "task_\x00"}, "search"),
        ({"provider": "lo\ncal"}, "provider"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(caller, params, param):
    r = caller.http.get("/api/v1/tasks", params=params)
    assert r.status_code == 400, r.text
    error = error_of(r)
    assert error["code"] == "INVALID_PARAMETER"
    assert error["message"].startswith(f"{param}:"), error


def test_limit_bounds_are_accepted(caller):
    for limit in ("1", "100"):
        assert caller.http.get("/api/v1/tasks", params={"limit": limit}).status_code == 200


def test_default_limit_is_20(caller):
    live = caller.live
    live.run(insert_tasks(live.db, caller.key.account_id, 25))
    body = caller.http.get("/api/v1/tasks").json()
    assert len(body["data"]) == 20 and body["pagination"]["hasMore"] is True
