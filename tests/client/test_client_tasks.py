"""`Client` against a real gateway on loopback (local provider, real workers, real HTTP)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import httpx
import pytest
from client_support import FAILING_VIDEO, SMALL, Gateway, Recorder
from PIL import Image

import mediagate
from mediagate import (
    Client,
    IdempotencyConflict,
    InvalidParameter,
    MediagateError,
    ModelNotFound,
    PayloadTooLarge,
    Task,
    TaskCancelled,
    TaskFailed,
    TaskNotCancellable,
    TaskNotFound,
    TaskNotReady,
    Unauthorized,
    WaitTimeout,
)
from mediagate.client import APIError, BadRequestError, ConfigurationError, ConflictError


def _make(client: Client, task_type: str, **extra: object) -> Task:
    model, params = SMALL[task_type]
    return client.tasks.create(
        type=task_type, model=model, input={"prompt": "a red fox", **params, **extra}
    )


def _slow(client: Client) -> Task:
    """An image that renders for 30 s (cancelled by the tests long before)."""
    return _make(client, "image", render_seconds=30)


@pytest.mark.parametrize("task_type", list(SMALL))
def test_create_wait_download_each_type(client: Client, tmp_path: Path, task_type: str) -> None:
    created = _make(client, task_type)
    assert created.status == "pending" and created.type == task_type
    assert created.created_at.tzinfo is not None

    updates: list[str] = []
    done = client.tasks.wait(created.id, timeout=60, on_update=lambda t: updates.append(t.status))
    assert done.status == "succeeded" and done.progress == 100 and updates[-1] == "succeeded"
    assert done.completed_at is not None and done.result and done.eta_seconds == -1

    [path] = client.tasks.download(done, tmp_path)
    [item] = done.result
    assert path == tmp_path / f"{done.id}.{item.format}"
    assert path.stat().st_size == item.size_bytes > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    assert item.thumbnail_url is not None and item.thumbnail_url.startswith("http://")
    preview = httpx.get(item.thumbnail_url, timeout=30)
    with Image.open(io.BytesIO(preview.content)) as image:
        assert image.format == "WEBP" and max(image.size) <= 320
    if task_type == "image":
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (64, 48) == (item.width, item.height)
    elif task_type == "model3d":
        assert struct.unpack_from("<4sI", path.read_bytes()) == (b"glTF", 2)
    else:
        with av.open(str(path)) as container:
            kind = "video" if task_type == "video" else "audio"
            assert len(getattr(container.streams, kind)) == 1
            assert container.duration and container.duration > 0


def test_download_by_id_to_a_file_path(client: Client, tmp_path: Path) -> None:
    task = client.tasks.wait(_make(client, "image"), timeout=60)
    [path] = client.tasks.download(task.id, tmp_path / "new" / "fox.png")
    assert path == tmp_path / "new" / "fox.png"
    with Image.open(path) as image:
        assert image.size == (64, 48)


def test_listing_follows_cursors_across_every_page(gateway: Gateway) -> None:
    recorder = Recorder()
    with recorder.http() as http, gateway.client(http_client=http) as client:
        made = [_make(client, "image").id for _ in range(7)]
        listing = client.tasks.list(model_id="local-image", limit=3)
        assert listing.total is None
        ids = [task.id for task in listing]
        assert listing.total == 7
    assert ids == made[::-1]  # newest first, each once
    assert [s for m, _, s in recorder.seen if m == "GET"] == [200, 200, 200]  # 3 pages
    with gateway.client() as other:
        assert list(other.tasks.list()) == []  # another account sees none of them


def test_listing_filters(client: Client) -> None:
    image = _make(client, "image")
    model3d = _make(client, "model3d")
    assert [t.id for t in client.tasks.list(model_id="local-3d")] == [model3d.id]
    assert [t.id for t in client.tasks.list(search=image.id[:12])] == [image.id]
    assert [t.id for t in client.tasks.list(end_date="2000-01-01")] == []
    listed = list(client.tasks.list(start_date=image.created_at))
    assert {t.id for t in listed} == {image.id, model3d.id}
    assert all(t.result is None for t in listed)  # list items leave result out


def test_cancel_then_wait_raises_task_cancelled(client: Client) -> None:
    task = _slow(client)
    cancelled = client.tasks.cancel(task)
    assert cancelled.status == "cancelled"
    with pytest.raises(TaskCancelled) as raised:
        client.tasks.wait(task, timeout=10)
    assert raised.value.task.status == "cancelled" and task.id in str(raised.value)
    assert client.tasks.cancel(task.id).status == "cancelled"  # cancelling again is harmless
    with pytest.raises(TaskCancelled):
        client.tasks.download(task.id, ".")


def test_failed_task_raises_task_failed_with_its_code(client: Client) -> None:
    task = client.tasks.create(
        type="video", model="local-video", input={"prompt": "x", **FAILING_VIDEO}
    )
    with pytest.raises(TaskFailed) as raised:
        client.tasks.wait(task, timeout=60)
    assert raised.value.code == "INVALID_INPUT"
    assert raised.value.task.status == "failed" and raised.value.task.error is not None
    assert "no frames" in str(raised.value)


def test_wait_timeout_is_quick_and_the_task_goes_on(client: Client) -> None:
    task = _slow(client)
    try:
        with pytest.raises(WaitTimeout) as raised:
            client.tasks.wait(task, timeout=0.3)
        assert raised.value.task.id == task.id and not raised.value.task.is_final
        with pytest.raises(TaskNotReady):
            client.tasks.download(task, ".")
    finally:
        client.tasks.cancel(task)


def test_request_errors_are_typed(gateway: Gateway, client: Client) -> None:
    with pytest.raises(ModelNotFound) as model:
        client.tasks.create(type="image", model="no-such-model", input={"prompt": "x"})
    assert (model.value.status_code, model.value.code) == (400, "MODEL_NOT_FOUND")
    assert isinstance(model.value, BadRequestError)

    with pytest.raises(InvalidParameter) as param:
        client.tasks.create(type="image", model="local-image", input={"prompt": "x", "width": 9})
    assert param.value.code == "INVALID_PARAMETER" and "input.width" in param.value.message
    with pytest.raises(InvalidParameter, match="limit"):
        next(iter(client.tasks.list(limit=500)))
    with pytest.raises(InvalidParameter, match="status"):
        next(iter(client.tasks.list(status="sleeping")))

    with pytest.raises(TaskNotFound) as missing:
        client.tasks.get("task_" + "x" * 24)
    assert (missing.value.status_code, missing.value.code) == (404, "TASK_NOT_FOUND")
    with gateway.client() as other, pytest.raises(TaskNotFound):
        other.tasks.get(_make(client, "image").id)  # another account's task does not exist

    with pytest.raises(PayloadTooLarge) as large:
        client.tasks.create(type="image", model="local-image", input={"prompt": "x" * 1_100_000})
    assert large.value.status_code == 413

    with gateway.client("mg_live_" + "n" * 40) as stranger, pytest.raises(Unauthorized) as bad:
        stranger.models.list()
    assert (bad.value.status_code, bad.value.code) == (401, "UNAUTHORIZED")
    assert isinstance(bad.value, APIError) and isinstance(bad.value, MediagateError)


def test_conflicts_are_typed(client: Client) -> None:
    done = client.tasks.wait(_make(client, "image"), timeout=60)
    with pytest.raises(TaskNotCancellable) as final:
        client.tasks.cancel(done)
    assert (final.value.status_code, final.value.code) == (409, "TASK_NOT_CANCELLABLE")
    assert isinstance(final.value, ConflictError)

    body = {"type": "image", "model": "local-image", "idempotency_key": "order-1"}
    first = client.tasks.create(**body, input={"prompt": "one"})
    assert client.tasks.create(**body, input={"prompt": "one"}).id == first.id  # a replay
    with pytest.raises(IdempotencyConflict) as conflict:
        client.tasks.create(**body, input={"prompt": "two"})
    assert (conflict.value.status_code, conflict.value.code) == (409, "IDEMPOTENCY_CONFLICT")


def test_models_are_typed(client: Client) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"local-image", "local-video", "local-audio", "local-music", "local-3d"} <= set(models)
    image = models["local-image"]
    assert image.type == "image" and image.price is not None and image.price.unit == "image"
    assert "prompt" in image.input_schema["properties"]
    assert {m.type for m in client.models.list(type="model3d")} == {"model3d"}


def test_ids_that_cannot_exist_never_reach_a_url(client: Client) -> None:
    for bad in ("../models", "", "task_a/cancel", "task_\n"):
        with pytest.raises(ConfigurationError, match="not a task id"):
            client.tasks.get(bad)


def test_configuration_from_environment_and_its_errors(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIAGATE_URL", gateway.base_url + "/")
    monkeypatch.setenv("MEDIAGATE_API_KEY", gateway.new_key())
    with mediagate.Client() as client:
        assert client.base_url == gateway.base_url
        assert client.models.list()
    monkeypatch.delenv("MEDIAGATE_API_KEY")
    with pytest.raises(ConfigurationError, match="MEDIAGATE_API_KEY"):
        Client()
    with pytest.raises(ConfigurationError, match="URL"):
        Client(base_url="ftp://example.com", api_key="mg_live_x")
    assert "mg_live" not in repr(Client(api_key="mg_live_secretsecretsecret"))
