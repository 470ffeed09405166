"""`mediagate generate|tasks|models` through real subprocesses against the real gateway: exit
statuses, one-line messages, files, and output scripts can parse."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from client_support import FAILING_VIDEO, Gateway
from PIL import Image

from helpers import assert_clean_failure, cli_env, free_port, run_cli


def _env(gateway: Gateway, key: str | None = None) -> dict[str, str]:
    return cli_env(url=gateway.base_url, api_key=key or gateway.new_key())


def _start(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mediagate", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=90)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """A clean failure with exit status `code` and exactly one `error:` line, the last one."""
    assert_clean_failure(proc, *needles)
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]], proc.stderr
    return lines[-1]


def test_generate_an_image_into_a_directory(gateway: Gateway, tmp_path: Path) -> None:
    proc = run_cli(
        "generate", "image", "--model", "local-image", "--prompt", "a red fox",
        "--input", "width=80", "--input", "height=60", "--out", f"{tmp_path}/out/",
        env=_env(gateway),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    [printed] = proc.stdout.splitlines()
    path = Path(printed)
    assert path.parent == tmp_path / "out" and path.suffix == ".png"
    with Image.open(path) as image:
        assert image.size == (80, 60)
    assert "succeeded 100%" in proc.stderr and "Traceback" not in proc.stderr


def test_generate_json_with_inputs_and_metadata(gateway: Gateway, tmp_path: Path) -> None:
    proc = run_cli(
        "generate", "audio", "-m", "local-audio", "-p", "hello", "-i", "duration=0.5",
        "-i", "format=wav", "--metadata", "project=demo", "--metadata", "n=3",
        "--metadata", "ok=true", "--json", "--out", str(tmp_path / "hello.wav"),
        env=_env(gateway),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    task = json.loads(proc.stdout)
    assert task["status"] == "succeeded" and task["type"] == "audio"
    assert task["metadata"] == {"project": "demo", "n": 3, "ok": True}
    assert task["files"] == [str(tmp_path / "hello.wav")]
    assert (tmp_path / "hello.wav").read_bytes()[:4] == b"RIFF"


def test_no_wait_then_the_tasks_commands(gateway: Gateway, tmp_path: Path) -> None:
    env = _env(gateway)
    created = run_cli(
        "generate", "model3d", "--model", "local-3d", "--prompt", "a cube", "--no-wait", env=env
    )
    assert created.returncode == 0, created.stderr
    task_id = created.stdout.strip()
    assert task_id.startswith("task_") and "tasks wait" in created.stderr

    waited = run_cli("tasks", "wait", task_id, "--json", env=env)
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "succeeded"

    got = _start("tasks", "get", task_id, "--json", env=env)
    listed = _start("tasks", "list", "--status", "succeeded", env=env)
    download = _start("tasks", "download", task_id, "--out", str(tmp_path), env=env)
    cancel = _start("tasks", "cancel", task_id, env=env)
    models = _start("models", "--json", "--type", "image", env=env)
    models_tsv = _start("models", "--type", "video", env=env)

    task = json.loads(_finish(got).stdout)
    assert task["id"] == task_id and task["result"][0]["format"] == "glb"
    header, row = _finish(listed).stdout.splitlines()
    assert header.split("\t") == ["id", "type", "model", "status", "progress", "created"]
    assert row.split("\t")[:4] == [task_id, "model3d", "local-3d", "succeeded"]
    [saved] = _finish(download).stdout.splitlines()
    assert Path(saved) == tmp_path / f"{task_id}.glb" and Path(saved).read_bytes()[:4] == b"glTF"
    _one_line_error(_finish(cancel), 1, "TASK_NOT_CANCELLABLE", "already succeeded")
    assert {m["type"] for m in json.loads(_finish(models).stdout)} == {"image"}
    assert "local-video\tvideo\tlocal\t" in _finish(models_tsv).stdout


def test_failures_end_in_one_line_and_a_status(gateway: Gateway) -> None:
    env = _env(gateway)
    gen = ("generate", "image", "--model", "local-image", "--prompt", "x")
    bad_model = _start("generate", "image", "--model", "no-such-model", "--prompt", "x", env=env)
    bad_key = _start(*gen, env=_env(gateway, "mg_live_" + "w" * 40))
    bad_pair = _start(*gen, "--input", "width", env=env)
    no_key = _start(*gen, env=cli_env(url=gateway.base_url))
    nobody = _start(*gen, "--url", f"http://127.0.0.1:{free_port()}", env=env)
    failed = _start(
        "generate", "video", "--model", "local-video", "--prompt", "x",
        *(f"--input={k}={v}" for k, v in FAILING_VIDEO.items()), env=env,
    )  # fmt: skip
    timeout = _start(*gen, "--input", "render_seconds=30", "--timeout", "0.5", env=env)

    _one_line_error(_finish(bad_model), 1, "MODEL_NOT_FOUND", "no-such-model")
    _one_line_error(_finish(bad_key), 1, "UNAUTHORIZED", "MEDIAGATE_API_KEY")
    _one_line_error(_finish(bad_pair), 2, "--input takes key=value")
    _one_line_error(_finish(no_key), 2, "MEDIAGATE_API_KEY", "--api-key")
    _one_line_error(_finish(nobody), 1, "cannot reach the gateway")
    _one_line_error(_finish(failed), 1, "failed: INVALID_INPUT")
    line = _one_line_error(_finish(timeout), 3, "still", "mediagate tasks wait task_")
    stuck_id = line.split("mediagate tasks wait ")[1].split("`")[0]
    assert run_cli("tasks", "cancel", stuck_id, env=env).returncode == 0


def test_generate_reports_a_cancelled_task(gateway: Gateway) -> None:
    key = gateway.new_key()
    proc = _start(
        "generate", "image", "--model", "local-image", "--prompt", "x",
        "--input", "render_seconds=30", "--json", env=_env(gateway, key),
    )  # fmt: skip
    with gateway.client(key) as client:
        deadline = time.monotonic() + 30
        while not (tasks := list(client.tasks.list())):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
            time.sleep(0.05)
        client.tasks.cancel(tasks[0])
    result = _finish(proc)
    _one_line_error(result, 1, f"task {tasks[0].id} was cancelled")
    assert json.loads(result.stdout)["status"] == "cancelled"  # --json still prints the task


def test_models_lists_what_the_key_can_run_and_all_says_why_not(gateway: Gateway) -> None:
    """The gateway has no remote provider configured: a live key runs the local models only;
    `--all` shows the others with the settings they lack. A sandbox key runs every model."""
    env = _env(gateway)
    usable = _start("models", "--json", env=env)
    every = _start("models", "--all", env=env)
    sandbox = _start("models", "--json", env=_env(gateway, gateway.new_key(test=True)))

    usable_models = json.loads(_finish(usable).stdout)
    assert usable_models and {m["provider"] for m in usable_models} == {"local"}
    assert all(m["available"] and m["unavailable_reason"] is None for m in usable_models)
    rows = [line.split("\t") for line in _finish(every).stdout.splitlines()]
    assert rows[0][-1] == "available"
    vidu = next(row for row in rows if row[0] == "viduq3-turbo")
    assert "MEDIAGATE_VIDU" in vidu[-1]
    local = next(row for row in rows if row[0] == "local-image")
    assert local[-1] == "yes"
    sandbox_models = json.loads(_finish(sandbox).stdout)
    assert {m["provider"] for m in sandbox_models} > {"local", "vidu", "kling"}
    assert all("fallbacks" in m for m in sandbox_models)


def test_errors_name_the_flags_typed_and_say_it_plainly(gateway: Gateway) -> None:
    env = _env(gateway)
    since = _start("tasks", "list", "--since", "yesterday", env=env)
    empty = _start("generate", "image", "--model", "local-image", "--prompt", "", env=env)
    wide = _start(
        "generate", "image", "--model", "local-image", "--prompt", "x", "--input", "width=99999",
        env=env,
    )  # fmt: skip
    bad_type = _start("generate", "picture", "--model", "local-image", "--prompt", "x", env=env)

    _one_line_error(_finish(since), 1, "--since: must be an ISO 8601")
    _one_line_error(_finish(empty), 1, "--prompt: must not be empty")
    line = _one_line_error(_finish(wide), 1, "--input width: must be at most 4096")
    assert "Input should" not in line
    _one_line_error(_finish(bad_type), 2, "TYPE must be one of", "'picture'")


def test_metadata_numbers_are_kept_as_typed(gateway: Gateway) -> None:
    env = _env(gateway)
    made = run_cli(
        "generate", "image", "--model", "local-image", "--prompt", "x", "--no-wait", "--json",
        "--metadata", "id=1e3", "--metadata", "count=42", "--metadata", "zip=007",
        "--metadata", "ratio=1.5", "--metadata", "ok=true", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["metadata"] == {
        "id": "1e3", "count": 42, "zip": "007", "ratio": 1.5, "ok": True
    }  # fmt: skip


def test_the_terminal_table_never_cuts_a_task_id(gateway: Gateway) -> None:
    """On a narrow terminal (a pty, 50 columns) the id column is whole, so it can be copied."""
    env = _env(gateway)
    made = run_cli("generate", "image", "--model", "local-image", "--prompt", "x", "--no-wait",
                   env=env)  # fmt: skip
    task_id = made.stdout.strip()
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediagate", "tasks", "list"],
        env={**env, "COLUMNS": "50", "TERM": "xterm"},
        stdin=child, stdout=child, stderr=child,
    )  # fmt: skip
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    proc.wait(60)
    os.close(main)
    text = output.decode(errors="replace")
    assert "│" in text or "┃" in text, text  # a table, not the piped form
    assert task_id in text, text
