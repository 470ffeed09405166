"""One step of one claimed task: submit, poll (and collect), cancel, or time out.

Every step is short (one provider call, or one copy of finished outputs) and ends by writing
the task back with the time of its next step, fenced by the claim's lease.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from mediagate.billing.pricing import cost_micros
from mediagate.catalog import CATALOG, ModelSpec
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.ids import new_id
from mediagate.db import Database
from mediagate.engine import repository, schedule
from mediagate.engine.collect import collect
from mediagate.engine.estimates import RUN_TIMES
from mediagate.engine.repository import ClaimedTask
from mediagate.metrics import provider_call
from mediagate.providers import (
    JobNotFound,
    JobState,
    JobStatus,
    OutcomeUnknown,
    Provider,
    ProviderError,
    RateLimited,
    RetryableError,
    SubmitRequest,
)
from mediagate.providers.registry import ProviderSet
from mediagate.storage import Storage
from mediagate.tasks.statuses import Status, forward

log = logging.getLogger(__name__)
US = 1_000_000


@dataclass
class StepContext:
    db: Database
    providers: ProviderSet
    storage: Storage
    http: httpx.AsyncClient
    work_dir: Path
    max_attempts: int
    max_result_bytes: int
    #: The longest wait between two polls of a job (`MEDIAGATE_MAX_POLL_INTERVAL_SECONDS`).
    max_poll_interval_s: float = schedule.ETA_CAP_S


def _at(seconds: float, now: int) -> int:
    return now + int(seconds * US)


async def run_step(ctx: StepContext, task: ClaimedTask) -> str:
    """Run the task's next step; returns its kind (for metrics). A provider error a step did
    not handle itself, or a bug (say, an adapter choking on a reply), is retried like a 5xx and
    ends the task after its attempts, never leaving it to loop on lease expiries."""
    now = now_us()
    provider = ctx.providers.get(task.provider, sandbox=bool(task.sandbox))
    if provider is None and task.sandbox and ctx.providers.get(task.provider, sandbox=False):
        # A plugin has no sandbox twin (a sandbox task made by an older version, say).
        message = f"provider {task.provider} has no sandbox: only live keys can use it"
        await _fail(ctx, task, "PROVIDER_UNAVAILABLE", message)
        return "error"
    if provider is None:  # claims only cover this process's providers; a bug if it happens
        await _fail(ctx, task, "INTERNAL_ERROR", f"provider {task.provider} is not installed")
        return "error"
    try:
        return await _dispatch(ctx, provider, task, now)
    except ProviderError as exc:
        if not exc.retryable:
            await _fail(ctx, task, exc.code, exc.message)
        else:
            await _retry_or_fail(ctx, task, exc, now_us())
    except Exception as exc:
        log.exception("step of task %s failed unexpectedly", task.id)
        error = RetryableError(f"internal error: {type(exc).__name__}", code="INTERNAL_ERROR")
        await _retry_or_fail(ctx, task, error, now_us())
    return "error"


async def _dispatch(ctx: StepContext, provider: Provider, task: ClaimedTask, now: int) -> str:
    if task.cancel_requested:
        await _cancel_at_provider(ctx, provider, task)
        return "cancel"
    if task.status not in (Status.PENDING, Status.QUEUED, Status.RUNNING):
        await _write(ctx, task, {"run_at": None}, active=False)  # nothing left to do
        return "noop"
    if task.deadline_at is not None and now >= task.deadline_at:
        await _timeout(ctx, provider, task, now)
        return "timeout"
    if task.provider_job_id is None:
        await _submit(ctx, provider, task, now)
        return "submit"
    await _poll(ctx, provider, task, now)
    return "poll"


async def _write(
    ctx: StepContext,
    task: ClaimedTask,
    values: dict[str, Any],
    *,
    active: bool = True,
    on_lost: dict[str, Any] | None = None,
) -> bool:
    """End the step: write `values` and release the lease (fenced). False if the lease or the
    task (a cancel) was lost meanwhile; then, if the lease is still ours, only `on_lost` is
    written with the release (the cancel's schedule stays)."""
    release = {"lease_owner": None, "lease_expires_at": None}
    values = {**values, **release, "updated_at": now_us()}
    if not active:
        return await repository.update_leased(ctx.db, task, values)
    if await repository.update_active(ctx.db, task, values):
        return True
    await repository.update_leased(ctx.db, task, {**(on_lost or {}), **release})
    return False


def _next_run(task: ClaimedTask, delay_s: float, now: int) -> int:
    """`now + delay_s`, but never after the deadline (so a timeout fires on time)."""
    at = _at(delay_s, now)
    return min(at, task.deadline_at) if task.deadline_at is not None else at


async def _fail(ctx: StepContext, task: ClaimedTask, code: str, message: str, **extra: Any):
    now = now_us()
    values = {
        "status": Status.FAILED.value,
        "error_code": code,
        "error_message": message[:2000],
        "completed_at": now,
        "queue_position": -1,
        "eta_seconds": -1,
        "cost_micros": 0,
        "run_at": None,
        **extra,
    }
    if extra.get("cancel_requested"):
        values["run_at"] = now  # a provider job is left to cancel
    await _write(ctx, task, values)


async def _retry_or_fail(
    ctx: StepContext,
    task: ClaimedTask,
    exc: ProviderError,
    now: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Schedule the step again after a backoff, or fail the task once its attempts are spent;
    `extra` values are written either way."""
    extra = extra or {}
    if isinstance(exc, RateLimited):  # a 429 never fails a task by itself; the deadline does
        delay = schedule.retry_delay(task.attempts + 1, exc.retry_after_s)
        await _write(
            ctx,
            task,
            {**extra, "run_at": _next_run(task, delay, now), "last_error": exc.message},
        )
        return
    attempts = task.attempts + 1
    if attempts >= ctx.max_attempts:
        await _fail(
            ctx,
            task,
            exc.code,
            f"{exc.message} (gave up after {attempts} tries)",
            **extra,
            cancel_requested=int(task.provider_job_id is not None),
        )
        return
    delay = schedule.retry_delay(attempts)
    await _write(
        ctx,
        task,
        {
            **extra,
            "attempts": attempts,
            "run_at": _next_run(task, delay, now),
            "last_error": exc.message,
        },
    )


async def _submit(ctx: StepContext, provider: Provider, task: ClaimedTask, now: int) -> None:
    client_ref = task.client_ref or new_id("ref", 12)
    if task.submit_started_at is not None and not provider.resubmit_safe:
        # An earlier submit may have reached the provider: never start a second paid job.
        async with provider_call(provider.name, "find_job"):
            found = await provider.find_job(client_ref)
        if found is None:
            await _fail(
                ctx,
                task,
                "PROVIDER_ERROR",
                f"an earlier submit of this task may have reached {provider.name} (the gateway "
                "was interrupted, or got no answer) and the provider cannot say whether it "
                "started a job; not resubmitting, to avoid paying twice",
            )
            return
        await _write(ctx, task, {"provider_job_id": found, "status": Status.QUEUED.value,
                                 "run_at": now})  # fmt: skip
        return
    spec = CATALOG.get(task.model)
    if spec is None:
        await _fail(ctx, task, "INTERNAL_ERROR", f"model {task.model} left the catalog")
        return
    # Record the attempt before the call: a crash after this point is seen by the next claim.
    recorded = await repository.update_active(
        ctx.db, task, {"submit_started_at": now, "client_ref": client_ref}
    )
    if not recorded:
        await _write(ctx, task, {}, active=False)  # cancelled meanwhile: nothing was sent
        return
    request = SubmitRequest(
        task_id=task.id,
        model=spec,
        input=orjson.loads(task.input),
        client_ref=client_ref,
        sandbox=bool(task.sandbox),
    )
    try:
        async with provider_call(provider.name, "submit"):
            job_id = await provider.submit(request)
    except OutcomeUnknown as exc:
        # The request went out and no usable answer came back: a job may exist. The retry
        # looks for it (`find_job`) rather than submitting again.
        await _retry_or_fail(ctx, task, exc, now_us())
        return
    except ProviderError as exc:
        # The provider answered with an error: no job was started.
        unavailable = exc.retryable or exc.code == "PROVIDER_UNAVAILABLE"
        if unavailable and await _fail_over(ctx, task, spec, exc):
            return
        if exc.retryable:  # a retry may submit again
            await _retry_or_fail(ctx, task, exc, now_us(), {"submit_started_at": None})
        else:
            await _fail(ctx, task, exc.code, exc.message)
        return
    done = now_us()
    values = {
        "provider_job_id": job_id,
        "status": Status.QUEUED.value,  # a resubmitted running task stays running
        "attempts": 0,
        "run_at": _next_run(task, schedule.poll_interval(0.0, provider.first_poll_s), done),
    }
    # Cancelled during the submit: keep the job id so that the cancel step reaches the job.
    lost = {"provider_job_id": job_id, "cancel_requested": 1, "run_at": done}
    await _write(ctx, task, values, on_lost=lost)


async def _fail_over(
    ctx: StepContext, task: ClaimedTask, spec: ModelSpec, exc: ProviderError
) -> bool:
    """Move a task whose submit was refused to the next provider of its model's chain (no job
    exists anywhere yet); False if none is left."""
    chain = ctx.providers.chain(spec)
    later = chain[chain.index(task.provider) + 1 :] if task.provider in chain else ()
    for name in later:
        candidate = ctx.providers.get(name, sandbox=bool(task.sandbox))
        if candidate is None or not candidate.configured:
            continue
        log.info("task %s: %s refused the submit (%s); failing over to %s",
                 task.id, task.provider, exc.message, name)  # fmt: skip
        await _write(
            ctx,
            task,
            {
                "provider": name,
                "submit_started_at": None,
                "client_ref": None,
                "run_at": now_us(),
                "last_error": f"{task.provider}: {exc.message}"[:2000],
            },
        )
        return True
    return False


async def _poll(ctx: StepContext, provider: Provider, task: ClaimedTask, now: int) -> None:
    assert task.provider_job_id is not None
    try:
        async with provider_call(provider.name, "poll"):
            status = await provider.poll(task.provider_job_id)
    except JobNotFound as exc:
        if provider.resubmit_safe:  # the job died with its process: start it again
            # The task keeps its status and progress (they never move backwards): the new
            # job's progress shows once it passes the old one's.
            await _write(
                ctx, task, {"provider_job_id": None, "submit_started_at": None, "run_at": now}
            )
            return
        await _fail(ctx, task, exc.code, exc.message)
        return
    except ProviderError as exc:
        if exc.retryable:
            await _retry_or_fail(ctx, task, exc, now)
        else:
            await _fail(ctx, task, exc.code, exc.message, cancel_requested=1)
        return
    await _apply(ctx, provider, task, status, now)


async def _apply(
    ctx: StepContext, provider: Provider, task: ClaimedTask, status: JobStatus, now: int
) -> None:
    base: dict[str, Any] = {"attempts": 0}
    if status.state in (JobState.QUEUED, JobState.RUNNING):
        reported = Status.RUNNING if status.state is JobState.RUNNING else Status.QUEUED
        # A restarted job queued again leaves its task running (statuses only move forward).
        running = forward(task.status, reported) == Status.RUNNING
        elapsed = (now - (task.started_at or task.created_at)) / US
        eta = status.eta_seconds
        if eta is None and running:  # the provider gives none: the model's recent run times
            eta = RUN_TIMES.eta(task.model, (now - (task.started_at or now)) / US)
        values = {
            **base,
            "status": (Status.RUNNING if running else Status.QUEUED).value,
            "progress": _clamp(status.progress, 0, 99, task.progress),
            "queue_position": -1 if running else _clamp(status.queue_position, 0, 10**9, -1),
            "eta_seconds": _clamp(eta, 0, 10**7, -1),
            "run_at": _next_run(
                task,
                schedule.next_poll(elapsed, status.poll_after_s, eta, ctx.max_poll_interval_s),
                now,
            ),
        }
        if running and task.started_at is None:
            values["started_at"] = now
        await _write(ctx, task, values)
    elif status.state is JobState.SUCCEEDED:
        await _succeed(ctx, provider, task, status, now)
    elif status.state is JobState.FAILED:
        await _fail(
            ctx,
            task,
            status.error_code or "PROVIDER_ERROR",
            status.error_message or "the provider reported a failure",
        )
    else:  # the provider cancelled a job nobody here asked to cancel
        await _fail(ctx, task, "PROVIDER_ERROR", "the provider cancelled the job")


def _clamp(value: int | None, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    return max(low, min(high, int(value)))


async def _succeed(
    ctx: StepContext, provider: Provider, task: ClaimedTask, status: JobStatus, now: int
) -> None:
    try:
        items = await collect(
            status.outputs,
            task_type=task.type,
            key_prefix=f"{task.account_id}/{task.id}",
            storage=ctx.storage,
            http=provider.output_http or ctx.http,
            work_dir=ctx.work_dir,
            max_bytes=ctx.max_result_bytes,
        )
    except ProviderError as exc:
        if exc.retryable:
            await _retry_or_fail(ctx, task, exc, now)
        else:
            await _fail(ctx, task, exc.code, exc.message)
        return
    spec = CATALOG.get(task.model)
    cost = 0
    if spec is not None:
        inputs = orjson.loads(task.input)
        cost = cost_micros(
            spec, inputs, items, sandbox=bool(task.sandbox), cap=task.max_cost_micros
        )
    done = now_us()
    values = {
        "status": Status.SUCCEEDED.value,
        "progress": 100,
        "queue_position": -1,
        "eta_seconds": -1,
        "result": jsonutil.dumps(items),
        "cost_micros": cost,
        "completed_at": done,
        "started_at": task.started_at or done,
        "run_at": None,
        "attempts": 0,
    }
    if await _write(ctx, task, values):
        RUN_TIMES.observe(task.model, (done - (task.started_at or task.created_at)) / US)
        cleanup = getattr(provider, "cleanup", None)
        if cleanup is not None and task.provider_job_id:
            await cleanup(task.provider_job_id)
    else:  # cancelled while copying: the client will never see these files
        await ctx.storage.delete_prefix(f"{task.account_id}/{task.id}/")


async def _timeout(ctx: StepContext, provider: Provider, task: ClaimedTask, now: int) -> None:
    await _fail(
        ctx,
        task,
        "TIMEOUT",
        "the task did not finish within its timeout_s",
        cancel_requested=int(
            task.provider_job_id is not None or task.submit_started_at is not None
        ),
    )


async def _cancel_at_provider(ctx: StepContext, provider: Provider, task: ClaimedTask) -> None:
    """The task is already final (cancelled, or failed on its deadline): stop the job."""
    job_id = task.provider_job_id
    if job_id is None and task.client_ref is not None and task.submit_started_at is not None:
        try:
            async with provider_call(provider.name, "find_job"):
                job_id = await provider.find_job(task.client_ref)
        except ProviderError:
            job_id = None
    if job_id is not None and provider.supports_cancel:
        try:
            async with provider_call(provider.name, "cancel"):
                await provider.cancel(job_id)
        except JobNotFound:
            pass
        except ProviderError as exc:
            attempts = task.attempts + 1
            if exc.retryable and attempts < ctx.max_attempts:
                delay = schedule.retry_delay(attempts, getattr(exc, "retry_after_s", None))
                await _write(
                    ctx,
                    task,
                    {
                        "attempts": attempts,
                        "run_at": _at(delay, now_us()),
                        "last_error": exc.message,
                    },
                    active=False,
                )
                return
            log.warning("could not cancel job %s of task %s: %s", job_id, task.id, exc.message)
    await _write(ctx, task, {"cancel_requested": 0, "run_at": None, "attempts": 0}, active=False)
