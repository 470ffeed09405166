"""One attempt of one claimed delivery: build the body, sign it, POST it, record the outcome
(fenced by the claim's lease), and keep the endpoint's health (410 Gone, five days of
nothing but failures)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from mediagate import __version__
from mediagate.core.clock import now_us
from mediagate.db import Database
from mediagate.events import repository as events_repository
from mediagate.events.repository import Row
from mediagate.events.serialize import event_object
from mediagate.metrics import WEBHOOK_ATTEMPT_SECONDS, WEBHOOK_ATTEMPTS
from mediagate.providers.base import ProviderError
from mediagate.tasks.serialize import Linker
from mediagate.webhooks import repository, service
from mediagate.webhooks.repository import ClaimedDelivery, Target
from mediagate.webhooks.schedule import parse_retry_after, retry_delay
from mediagate.webhooks.signing import signature_header

log = logging.getLogger(__name__)
US = 1_000_000
#: An endpoint whose deliveries have all failed for this long is disabled.
FAILING_LIMIT_US = 5 * 86400 * US
ERROR_MAX = 300
#: Read at most this much of a receiver's answer (for the log's error text).
ANSWER_READ_MAX = 4096
USER_AGENT = f"mediagate-webhooks/{__version__}"


@dataclass
class SendContext:
    db: Database
    http: httpx.AsyncClient
    links: Linker
    retry_delays: tuple[float, ...]
    timeout_s: float


@dataclass(frozen=True)
class Prefetched:
    """What a claim read for all its deliveries at once (missing: gone since)."""

    targets: dict[str, Target]
    events: dict[int, Row]


async def prefetch(db: Database, deliveries: list[ClaimedDelivery]) -> Prefetched:
    """The endpoints and events of a claim's deliveries: two queries instead of two each."""
    endpoint_ids = [d.endpoint_id for d in deliveries if d.endpoint_id is not None]
    seqs = [d.event_seq for d in deliveries if d.payload is None and d.event_seq is not None]
    async with db.read() as conn:
        targets = await repository.endpoint_targets(conn, endpoint_ids)
        events = await events_repository.by_seqs(conn, seqs)
    return Prefetched(targets, events)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, connection failed)
    error: str | None
    retry_after_s: float | None
    duration_ms: int


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 3] + "..."


def _body(ctx: SendContext, delivery: ClaimedDelivery, found: Prefetched) -> bytes | None:
    """`{"type", "timestamp", "data"}`: the event's task as it was then, with fresh result
    URLs (so a retry hours later still links to the files). None if the event is gone."""
    if delivery.payload is not None:
        return delivery.payload.encode()
    row = found.events.get(delivery.event_seq) if delivery.event_seq is not None else None
    if row is None:
        return None
    event = event_object(row, ctx.links)
    return orjson.dumps(
        {"type": event["type"], "timestamp": event["created_at"], "data": event["data"]}
    )


def _keys(target: Target | None, default_secret: str | None, now: int) -> list[str]:
    """The secrets that sign: the endpoint's, and its previous one while it overlaps."""
    if target is None:
        assert default_secret is not None
        return [default_secret]
    keys = [target.secret]
    if target.previous_secret and (target.previous_secret_until or 0) > now:
        keys.append(target.previous_secret)
    return keys


async def _post(ctx: SendContext, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.perf_counter()
    status = retry_after = None
    error: str | None = None
    try:
        async with (
            asyncio.timeout(ctx.timeout_s),
            ctx.http.stream("POST", url, content=body, headers=headers) as response,
        ):
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
            text = await _read_some(response)  # a short answer read whole keeps the connection
            if not 200 <= status < 300:
                error = f"HTTP {status}: {text}" if text.strip() else f"HTTP {status}"
    except (TimeoutError, httpx.TimeoutException):
        status, error = None, f"no answer within {ctx.timeout_s:g} s"
    except ProviderError as exc:  # the egress check refused the address
        status, error = None, exc.message
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # the HTTP stack failing in a way it does not classify
        log.warning("POST to %s failed unexpectedly", url, exc_info=True)
        status, error = None, f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return Answer(status, _short(error) if error else None, retry_after, duration_ms)


async def _read_some(response: httpx.Response) -> str:
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= ANSWER_READ_MAX:
            break
    return data[:ANSWER_READ_MAX].decode("utf-8", "replace")


async def attempt(
    ctx: SendContext, delivery: ClaimedDelivery, found: Prefetched | None = None
) -> str:
    """Try the delivery once (with what its claim read, `prefetch`); returns the outcome (for
    metrics)."""
    started = time.perf_counter()
    if found is None:
        found = await prefetch(ctx.db, [delivery])
    outcome = await _attempt(ctx, delivery, found)
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    WEBHOOK_ATTEMPT_SECONDS.observe(time.perf_counter() - started)
    return outcome


async def _attempt(ctx: SendContext, delivery: ClaimedDelivery, found: Prefetched) -> str:
    now = now_us()
    target: Target | None = None
    default_secret = None
    if delivery.endpoint_id is not None:
        target = found.targets.get(delivery.endpoint_id)
        if target is None:
            return "gone"  # deleted: its deliveries went with it
        if target.disabled:
            await _finish(ctx, delivery, "failed", None, "the endpoint is disabled")
            return "disabled"
        url = target.url
    else:
        assert delivery.callback_url is not None
        url = delivery.callback_url
        default_secret = await service.default_secret(ctx.db, delivery.account_id)
    body = _body(ctx, delivery, found)
    if body is None:
        await _finish(ctx, delivery, "failed", None, "the event no longer exists")
        return "gone"
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            _keys(target, default_secret, now), delivery.event_id, timestamp, body.decode()
        ),
    }
    answer = await _post(ctx, url, body, headers)
    if answer.status is not None and 200 <= answer.status < 300:
        recorded = await _finish(ctx, delivery, "succeeded", answer, None)
        if recorded and target is not None and target.failing_since is not None:
            async with ctx.db.write() as conn:
                await repository.clear_failing(conn, delivery.endpoint_id)  # type: ignore[arg-type]
        return "succeeded"
    return await _failed(ctx, delivery, target, answer)


async def _failed(
    ctx: SendContext, delivery: ClaimedDelivery, target: Target | None, answer: Answer
) -> str:
    now = now_us()
    disable_reason = None
    if answer.status == 410:
        disable_reason = "the receiver answered 410 Gone"
    elif target is not None and now - (target.failing_since or now) >= FAILING_LIMIT_US:
        disable_reason = "every delivery failed for 5 days"
    delay = None
    if disable_reason is None:
        delay = retry_delay(ctx.retry_delays, delivery.attempts, answer.retry_after_s)
    if delay is None:
        recorded = await _finish(ctx, delivery, "failed", answer, answer.error)
    else:
        run_at = now + int(delay * US)
        recorded = await _finish(ctx, delivery, "pending", answer, answer.error, run_at=run_at)
    if not recorded or target is None:
        return "failed" if delay is None else "retry"
    endpoint_id = delivery.endpoint_id
    assert endpoint_id is not None
    async with ctx.db.write() as conn:
        if disable_reason is not None:
            log.warning("disabling webhook endpoint %s: %s", endpoint_id, disable_reason)
            await repository.disable_endpoint(conn, endpoint_id, disable_reason, now)
        elif target.failing_since is None:
            await repository.mark_failing(conn, endpoint_id, now)
    return "failed" if delay is None else "retry"


async def _finish(
    ctx: SendContext,
    delivery: ClaimedDelivery,
    status: str,
    answer: Answer | None,
    error: str | None,
    *,
    run_at: int | None = None,
) -> bool:
    """Record the attempt and give up the lease; False if the lease was lost (another worker
    has the delivery now) or the delivery is gone."""
    values: dict[str, Any] = {
        "status": status,
        "run_at": run_at,
        "lease_owner": None,
        "lease_expires_at": None,
        "error": error,
        "updated_at": now_us(),
    }
    if answer is not None:
        values.update(response_status=answer.status, duration_ms=answer.duration_ms)
    recorded = await repository.record(ctx.db, delivery, values)
    if not recorded:
        log.info("delivery %s: lease lost; its outcome is not recorded", delivery.seq)
    return recorded
