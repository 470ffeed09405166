"""A plugin provider has no sandbox twin: a `mg_test_` key never reaches it (no free submits
and polls at a real provider), and `/models` tells test keys it is unavailable and why."""

from __future__ import annotations

import asyncio

import httpx

from helpers import error_of, wait_for
from mediagate.accounts import service as accounts
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database
from mediagate.db.urls import parse_database_url
from mediagate.tasks import repository
from scripted_provider import read_calls

PLUGIN_BODY = {"type": "image", "model": "scripted-image", "input": {"prompt": "a fox"}}


def _test_key(engine_live) -> accounts.CreatedKey:
    async def make() -> accounts.CreatedKey:
        db = Database(parse_database_url(engine_live.url))
        try:
            return await accounts.create_key(db, account="engine-tests", test=True)
        finally:
            await db.close()

    return asyncio.run(make())


def _client(engine_live, secret: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.Client(base_url=engine_live.base_url, headers=headers, timeout=30)


def test_test_keys_cannot_use_a_plugin_and_models_says_why(engine_live) -> None:
    with _client(engine_live, _test_key(engine_live).secret) as test:
        models = {m["id"]: m for m in test.get("/api/v1/models").json()["data"]}
        assert models["scripted-image"]["available"] is False
        assert "scripted has no sandbox" in models["scripted-image"]["unavailable_reason"]
        assert models["local-image"]["available"] and models["gpt-image-2"]["available"]
        refused = test.post("/api/v1/tasks", json=PLUGIN_BODY)
        assert refused.status_code == 400, refused.text
        error = error_of(refused)
        assert error["code"] == "MODEL_NOT_FOUND" and "no sandbox" in error["message"]
        image = {"model": "scripted-image", "prompt": "a fox"}
        openai = test.post("/v1/images/generations", json=image)
        assert openai.status_code == 400 and openai.json()["error"]["param"] == "model"
    with engine_live.client() as live:
        models = {m["id"]: m for m in live.get("/api/v1/models").json()["data"]}
        assert models["scripted-image"]["available"] is True
        task = live.post("/api/v1/tasks", json=PLUGIN_BODY).json()["data"]
        assert wait_for(live, task["id"])["status"] == "succeeded"
    assert any(c["task"] == task["id"] for c in read_calls(engine_live.scripted_root))


def test_a_sandbox_task_already_stored_for_a_plugin_fails_without_reaching_it(
    engine_live,
) -> None:
    """A sandbox task on a plugin (made before test keys were refused) is failed by the engine
    without a single call to the plugin."""
    key = _test_key(engine_live)
    task_id = new_id("task")

    async def insert() -> None:
        db = Database(parse_database_url(engine_live.url))
        now = now_us()
        try:
            async with db.write() as conn:
                await repository.insert(
                    conn,
                    {
                        "id": task_id, "account_id": key.account_id, "key_id": key.key_id,
                        "sandbox": 1, "type": "image", "model": "scripted-image",
                        "provider": "scripted", "status": "pending",
                        "input": jsonutil.dumps({"prompt": "a fox"}), "metadata": "{}",
                        "timeout_s": 120, "created_at": now, "updated_at": now, "run_at": now,
                        "deadline_at": now + 120_000_000,
                    },
                )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(insert())
    with _client(engine_live, key.secret) as test:
        task = wait_for(test, task_id)
    assert task["status"] == "failed", task
    assert task["error"]["code"] == "PROVIDER_UNAVAILABLE" and task["cost"] == 0
    assert not [c for c in read_calls(engine_live.scripted_root) if c["task"] == task_id]
