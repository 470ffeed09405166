"""Sandbox mode: a `mg_test_` key runs every provider's models on the built-in simulator, with
no provider configured, and costs nothing; a live key needs the provider configured."""

from __future__ import annotations

from pathlib import Path

import httpx

from helpers import cli_env, error_of, run_cli, start_serve, stop, wait_for


def _keys(env: dict[str, str]) -> tuple[str, str]:
    made = []
    for flags in ((), ("--test",)):
        created = run_cli("keys", "create", "--account", "sandbox", *flags, env=env)
        assert created.returncode == 0, created.stderr
        made.append(created.stdout.strip().splitlines()[-1])
    live, test = made
    assert live.startswith("mg_live_") and test.startswith("mg_test_")
    return live, test


def test_a_fresh_gateway_runs_remote_models_for_test_keys_only(tmp_path: Path) -> None:
    """`mediagate serve` on its embedded defaults, nothing configured: a test key runs a vidgo
    model to a downloadable file at no cost; a live key is told what to configure."""
    env = cli_env(data_dir=str(tmp_path / "data"))
    proc, base = start_serve(env)
    try:
        live, test = _keys(env)
        body = {"type": "image", "model": "gpt-image-2", "input": {"prompt": "a red fox"}}
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {live}"}) as http:
            refused = http.post("/api/v1/tasks", json=body)
            assert refused.status_code == 400
            error = error_of(refused)
            assert error["code"] == "MODEL_NOT_FOUND"
            assert "MEDIAGATE_VIDGO_API_KEY" in error["message"]
            models = {m["id"]: m for m in http.get("/api/v1/models").json()["data"]}
            assert models["gpt-image-2"]["available"] is False
            assert "MEDIAGATE_VIDGO_API_KEY" in models["gpt-image-2"]["unavailable_reason"]
            assert models["local-image"]["available"] is True
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {test}"}) as http:
            models = http.get("/api/v1/models").json()["data"]
            assert all(m["available"] for m in models)
            assert {m["provider"] for m in models} >= {"local", "vidgo"}
            created = http.post("/api/v1/tasks", json=body)
            assert created.status_code == 202, created.text
            assert created.json()["data"]["provider"] == "vidgo"
            task = wait_for(http, created.json()["data"]["id"], timeout=60)
        assert task["status"] == "succeeded", task
        assert task["cost"] == 0
        [item] = task["result"]
        download = httpx.get(item["url"], timeout=30)
        assert download.status_code == 200 and download.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(download.content) == item["size_bytes"]
    finally:
        stop(proc)
