"""A provider for engine tests whose behaviour the prompt scripts, loaded as a real plugin
(`MEDIAGATE_PROVIDER_PLUGINS=scripted_provider:make`) by in-process and subprocess workers.

Jobs and a log of every call live in files under `<data_dir>/scripted/`, so several worker
processes share them and tests can count calls. Prompt words (combine freely):

- `queue:S` / `run:S`: seconds the job spends queued / running (default 0.2 / 0.3);
- `flaky:N`: the first N calls of this task answer like a 503;
- `ratelimit:N`: the first N calls answer like a 429 with Retry-After 0.05 s;
- `badinput`: the submit is refused as invalid input;
- `banned`: the job ends failed for content policy;
- `lost`: polls say the job is unknown;
- `crash`: polls raise a plain exception (an adapter bug);
- `hang_submit:S`: the submit takes S seconds before answering (to kill a worker mid-submit);
- `reconcile`: the provider can find a job by its client reference;
- `hang_result:S`: the first poll that finds the job done takes S seconds to answer (to kill a
  worker after the provider finished, before the gateway wrote the success and its charge).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from mediagate.catalog.spec import ModelSpec, Price
from mediagate.providers import (
    JobNotFound,
    JobOutput,
    JobState,
    JobStatus,
    Provider,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)


class ScriptedInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1)


MODEL = ModelSpec(
    "scripted-image",
    "image",
    "scripted",
    "Test provider scripted by its prompt.",
    ScriptedInput,
    Price(0.25, "image"),
    default_timeout_s=120,
)


def _word(prompt: str, name: str, default: float | None = None) -> float | None:
    m = re.search(rf"\b{name}:([\d.]+)", prompt)
    return float(m.group(1)) if m else default


class ScriptedProvider(Provider):
    name = "scripted"
    supports_cancel = True

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "jobs").mkdir(parents=True, exist_ok=True)

    def models(self) -> list[ModelSpec]:
        return [MODEL]

    # -- bookkeeping shared between processes ------------------------------------------
    def _log(self, task_id: str, call: str) -> int:
        """Append one call to the log; returns how many calls this task had before it."""
        line = json.dumps({"task": task_id, "call": call, "pid": os.getpid(), "t": time.time()})
        path = self.root / "calls.log"
        with path.open("a") as fh:
            fh.write(line + "\n")
        return sum(1 for c in read_calls(self.root) if c["task"] == task_id) - 1

    def _job(self, job_id: str) -> dict[str, Any]:
        path = self.root / "jobs" / f"{job_id}.json"
        if not re.fullmatch(r"job-[\w-]+", job_id) or not path.exists():
            raise JobNotFound()
        return json.loads(path.read_text())

    def _save(self, job: dict[str, Any]) -> None:
        path = self.root / "jobs" / f"{job['id']}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(job))
        os.replace(tmp, path)

    def _script(self, task_id: str, prompt: str, call: str) -> None:
        before = self._log(task_id, call)
        if before < (_word(prompt, "flaky") or 0):
            raise RetryableError("HTTP 503 from the scripted provider")
        if before < (_word(prompt, "ratelimit") or 0):
            raise RateLimited("HTTP 429 from the scripted provider", retry_after_s=0.05)

    # -- the provider interface --------------------------------------------------------
    async def submit(self, request: SubmitRequest) -> str:
        prompt = request.input["prompt"]
        self._script(request.task_id, prompt, "submit")
        if "badinput" in prompt:
            raise ProviderError("INVALID_INPUT", "the scripted provider refuses this input")
        job = {
            "id": f"job-{request.task_id}",
            "task": request.task_id,
            "ref": request.client_ref,
            "prompt": prompt,
            "t0": time.time(),
            "cancelled": False,
        }
        self._save(job)
        hang = _word(prompt, "hang_submit")
        if hang:  # the provider has the job; the answer is slow to come back
            await asyncio.sleep(hang)
        return job["id"]

    async def poll(self, job_id: str) -> JobStatus:
        job = self._job(job_id)
        prompt = job["prompt"]
        self._script(job["task"], prompt, "poll")
        if "lost" in prompt:
            raise JobNotFound()
        if "crash" in prompt:  # an adapter bug: not a provider error at all
            raise ValueError("cannot parse the reply")
        if job["cancelled"]:
            return JobStatus(JobState.CANCELLED)
        elapsed = time.time() - job["t0"]
        queue, run = _word(prompt, "queue", 0.2), _word(prompt, "run", 0.3)
        if elapsed < queue:
            return JobStatus(JobState.QUEUED, queue_position=3, poll_after_s=0.05)
        if elapsed < queue + run:
            pct = int(100 * (elapsed - queue) / run)
            return JobStatus(JobState.RUNNING, progress=pct, eta_seconds=1, poll_after_s=0.05)
        if "banned" in prompt:
            return JobStatus(
                JobState.FAILED, error_code="CONTENT_POLICY_VIOLATION", error_message="banned"
            )
        out = self.root / "jobs" / f"{job_id}.png"
        if not out.exists():
            Image.new("RGB", (64, 48), (200, 80, 40)).save(out)
        hang = _word(prompt, "hang_result")
        if hang:
            self._log(job["task"], "result")
            results = [c for c in read_calls(self.root) if c["task"] == job["task"]]
            if sum(c["call"] == "result" for c in results) == 1:
                await asyncio.sleep(hang)
        return JobStatus(JobState.SUCCEEDED, progress=100, outputs=[JobOutput(path=out)])

    async def cancel(self, job_id: str) -> None:
        job = self._job(job_id)
        self._log(job["task"], "cancel")
        job["cancelled"] = True
        self._save(job)

    async def find_job(self, client_ref: str) -> str | None:
        for path in (self.root / "jobs").glob("*.json"):
            job = json.loads(path.read_text())
            if job["ref"] == client_ref and "reconcile" in job["prompt"]:
                return job["id"]
        return None


def read_calls(root: Path) -> list[dict[str, Any]]:
    path = root / "calls.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def make(settings: Any) -> ScriptedProvider:
    return ScriptedProvider(Path(settings.data_dir) / "scripted")
