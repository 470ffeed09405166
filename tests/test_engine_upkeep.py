"""Around the engine: sandbox cost, retention, metrics, lease fencing, provider limits."""

from __future__ import annotations

import asyncio
import itertools
import secrets

import httpx
import pytest
from sqlalchemy import update

from helpers import engine_settings, insert_tasks, serve_app, wait_for
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.db.tables import tasks
from mediagate.db.urls import parse_database_url
from mediagate.engine import repository as engine_repo
from mediagate.storage.factory import build_storage
from mediagate.tasks import housekeeping
from scripted_provider import read_calls


def _create(http, prompt: str, model: str = "scripted-image") -> str:
    body = {"type": "image", "model": model, "input": {"prompt": prompt}}
    r = http.post("/api/v1/tasks", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def _on_db(engine_live, work):
    async def run():
        db = Database(parse_database_url(engine_live.url))
        await db.open()
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def test_sandbox_tasks_cost_nothing(engine_live):
    async def key(db):
        return (await accounts.create_key(db, account="sandbox-user", test=True)).secret

    secret = _on_db(engine_live, key)
    with httpx.Client(base_url=engine_live.base_url,
                      headers={"Authorization": f"Bearer {secret}"}) as http:  # fmt: skip
        # A plugin has no sandbox: the local provider's model.
        task = wait_for(http, _create(http, f"sandbox {secrets.token_hex(3)}", "local-image"))
    assert task["status"] == "succeeded" and task["cost"] == 0


def test_retention_deletes_files_and_expires_the_task(engine_live):
    with engine_live.client() as http:
        task = wait_for(http, _create(http, f"keep {secrets.token_hex(3)}"))
        url, thumbnail_url = task["result"][0]["url"], task["result"][0]["thumbnail_url"]
        assert httpx.get(url).status_code == 200
        assert httpx.get(thumbnail_url).status_code == 200

        async def expire(db):
            settings = engine_settings(engine_live.url, engine_live.data_dir)
            storage = await build_storage(settings, db)
            return await housekeeping.expire_results(db, storage, retention_us=0)

        assert _on_db(engine_live, expire) >= 1
        expired = http.get(f"/api/v1/tasks/{task['id']}").json()["data"]
        assert expired["status"] == "expired" and "result" not in expired
        assert expired["error"]["code"] == "RESULT_UNAVAILABLE"
        assert httpx.get(url).status_code == 404  # the file is gone, the signature still valid
        assert httpx.get(thumbnail_url).status_code == 404  # and its preview with it
        listed = http.get("/api/v1/tasks", params={"status": "expired"}).json()
        assert task["id"] in [t["id"] for t in listed["data"]]


def test_metrics_report_tasks_claims_and_provider_calls(engine_live):
    with engine_live.client() as http:
        wait_for(http, _create(http, f"metered flaky:1 {secrets.token_hex(3)}"))
        text = http.get("/metrics").text
    assert 'mediagate_tasks{provider="scripted",status="succeeded"}' in text
    assert "mediagate_queue_depth " in text
    assert "mediagate_claim_seconds_count " in text
    assert 'mediagate_step_seconds_count{provider="scripted",step="submit"}' in text
    assert 'mediagate_provider_call_seconds_count{call="submit",provider="scripted"}' in text
    assert (
        'mediagate_provider_errors_total{call="submit",code="PROVIDER_ERROR",provider="scripted"}'
        in text
    )


def test_a_write_under_a_lost_lease_is_dropped(engine_live):
    """Claim, let the lease run out, claim again: the first claim can no longer write."""

    async def scenario(db):
        account = await accounts.create_key(db, account=f"lease-{secrets.token_hex(3)}")
        [task_id] = await insert_tasks(db, account.account_id, 1, provider="nobody")
        async with db.write() as conn:
            await conn.execute(update(tasks).where(tasks.c.id == task_id).values(run_at=0))
        [first] = await engine_repo.claim(
            db, token_prefix="w_a", now=now_us(), lease_us=1, limit=1, rooms={"nobody": 1}
        )
        await asyncio.sleep(0.01)  # the lease (1 µs) has run out: the task is due again
        [second] = await engine_repo.claim(
            db, token_prefix="w_b", now=now_us(), lease_us=10**7, limit=1, rooms={"nobody": 1}
        )
        assert second.id == first.id and second.lease != first.lease
        assert not await engine_repo.update_active(db, first, {"progress": 50})
        assert await engine_repo.update_active(db, second, {"progress": 60})
        # While the second lease lives, nobody else can claim the task.
        again = await engine_repo.claim(
            db, token_prefix="w_c", now=now_us(), lease_us=10**7, limit=1, rooms={"nobody": 1}
        )
        assert again == []
        return task_id

    _on_db(engine_live, scenario)


def test_one_claim_takes_the_earliest_due_tasks_within_each_providers_room(engine_live):
    """Ten due tasks each of two providers, with room for 2 of one and 5 of the other: one
    claim of 4 takes the 4 earliest it may, never more of a provider than its room."""

    async def scenario(db):
        account = await accounts.create_key(db, account=f"rooms-{secrets.token_hex(3)}")
        a, b = f"a{secrets.token_hex(3)}", f"b{secrets.token_hex(3)}"
        due = {}
        for offset, provider in enumerate((a, b)):
            ids = await insert_tasks(db, account.account_id, 10, provider=provider)
            async with db.write() as conn:
                for i, task_id in enumerate(ids):  # a's at 0, 2, 4 ...; b's at 1, 3, 5 ...
                    at = 1000 + 2 * i + offset
                    due[task_id] = at
                    await conn.execute(update(tasks).where(tasks.c.id == task_id).values(run_at=at))
        claimed = await engine_repo.claim(
            db, token_prefix="w_r", now=now_us(), lease_us=10**7, limit=4,
            rooms={a: 2, b: 5, "nobody": 3},
        )  # fmt: skip
        return sorted((due[t.id], t.provider) for t in claimed), a, b

    claimed, a, b = _on_db(engine_live, scenario)
    # a's tasks at 1000 and 1002, then a is full; b's at 1001 and 1003 are the next earliest.
    assert claimed == [(1000, a), (1001, b), (1002, a), (1003, b)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_provider_concurrency_limit_is_respected(tmp_path, backend):
    url = f"sqlite:///{tmp_path}/limit.db"
    upgrade(parse_database_url(url))
    settings = engine_settings(url, tmp_path, provider_concurrency={"scripted": 1})
    server, thread, base_url = serve_app(create_app(settings))
    try:

        async def key():
            db = Database(settings.database)
            try:
                return (await accounts.create_key(db, account="limited")).secret
            finally:
                await db.close()

        secret = asyncio.run(key())
        with httpx.Client(base_url=base_url,
                          headers={"Authorization": f"Bearer {secret}"}) as http:  # fmt: skip
            ids = [_create(http, f"one at a time hang_submit:0.4 n{i}") for i in range(4)]
            for task_id in ids:
                assert wait_for(http, task_id, timeout=60)["status"] == "succeeded"
        submits = sorted(c["t"] for c in read_calls(tmp_path / "scripted") if c["call"] == "submit")
        assert len(submits) == 4
        gaps = [b - a for a, b in itertools.pairwise(submits)]
        assert min(gaps) >= 0.35, gaps  # each submit started after the previous one answered
    finally:
        server.should_exit = True
        thread.join(15)
