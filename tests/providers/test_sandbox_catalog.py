"""Issue 4's "done when": with a sandbox key, a task of every remote model in the catalog
succeeds (a prompt, and whatever else its schema requires) and downloads from the gateway."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image
from remote_support import Gateway

from mediagate.catalog import CATALOG
from mediagate.providers.registry import remote_classes


def _sample_image() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _required_input(schema: dict[str, Any]) -> dict[str, Any]:
    """A prompt, and an image for any other required field (image-to-X models)."""
    values: dict[str, Any] = {"prompt": "a fox in the snow"}
    for name in schema.get("required", []):
        if name == "prompt":
            continue
        kind = schema["properties"][name].get("type")
        values[name] = [_sample_image()] if kind == "array" else _sample_image()
    return values


def test_every_remote_model_succeeds_in_the_sandbox(gateway: Gateway, tmp_path: Path) -> None:
    remote = set(remote_classes())
    specs = [spec for spec in CATALOG if spec.provider in remote]
    assert {spec.provider for spec in specs} == remote
    http = gateway.client(sandbox=True)
    created = {}
    for spec in specs:
        body = {"type": spec.type, "model": spec.id, "input": _required_input(spec.input_schema)}
        response = http.post("/api/v1/tasks", json=body)
        assert response.status_code == 202, (spec.id, response.text)
        created[spec.id] = response.json()["data"]["id"]
    for model, task_id in created.items():
        task = gateway.wait(task_id, sandbox=True, timeout=120)
        assert task["status"] == "succeeded", (model, task)
        assert task["cost"] == 0
        files = gateway.download(task, tmp_path)
        assert files and all(path.stat().st_size > 0 for path in files), model
