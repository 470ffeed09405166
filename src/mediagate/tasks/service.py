"""Task operations behind the HTTP API: create (with idempotency), get, list, cancel."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError

from mediagate.accounts.keys import hash_key
from mediagate.accounts.repository import Principal
from mediagate.billing import holds as billing_holds
from mediagate.catalog import CATALOG, ModelSpec
from mediagate.core import jsonutil
from mediagate.core.clock import now_us
from mediagate.core.errors import (
    IdempotencyConflict,
    InvalidParameter,
    ModelNotFound,
    TaskNotCancellable,
    TaskNotFound,
    Unauthorized,
)
from mediagate.core.ids import new_id, plausible_id
from mediagate.core.validation import describe
from mediagate.db import Database, dialect
from mediagate.tasks import cursor, repository
from mediagate.tasks.repository import ListFilters
from mediagate.tasks.schemas import CreateTaskRequest
from mediagate.tasks.serialize import Linker, task_object
from mediagate.tasks.statuses import FINAL, Status

IDEMPOTENCY_KEY_MAX = 255


class Unavailable(Protocol):
    """Why no provider of the mode can run a model here, or None (`ProviderSet.unavailable`)."""

    def __call__(self, spec: ModelSpec, *, sandbox: bool = False) -> str | None: ...


@dataclass(frozen=True)
class Created:
    task: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None
    has_more: bool
    total: int


def validation_param(error: ValidationError, prefix: str = "") -> InvalidParameter:
    """The first problem of a pydantic error, naming the parameter as the client wrote it."""
    first = error.errors(include_url=False)[0]
    loc = [str(part) for part in first["loc"] if part != "body"]
    param = ".".join([prefix, *loc] if prefix else loc) or prefix or "body"
    return InvalidParameter(param, describe(first))


def _fingerprint(request: CreateTaskRequest) -> str:
    return hashlib.sha256(jsonutil.canonical(request.model_dump(mode="json"))).hexdigest()


async def create(
    db: Database,
    principal: Principal,
    request: CreateTaskRequest,
    idempotency_key: str | None,
    links: Linker | None = None,
    unavailable: Unavailable | None = None,
) -> Created:
    """`unavailable(spec, sandbox=...)` says why no provider of the key's mode can run a model
    here (sandbox tasks run every built-in model on the simulator, never a plugin)."""
    spec = CATALOG.get(request.model)
    if spec is None:
        raise ModelNotFound(
            f"model {request.model!r} is not in the catalog; GET /api/v1/models lists them"
        )
    if spec.type != request.type:
        raise InvalidParameter(
            "type", f"model {spec.id!r} makes {spec.type!r} tasks, not {request.type!r}"
        )
    if unavailable is not None and (reason := unavailable(spec, sandbox=principal.sandbox)):
        hint = "" if principal.sandbox else "; a sandbox key (mg_test_) runs it on the simulator"
        raise ModelNotFound(f"model {spec.id!r} is not available on this gateway ({reason}){hint}")
    try:
        normalised = spec.input_model.model_validate(request.input).model_dump(mode="json")
    except ValidationError as exc:
        raise validation_param(exc, "input") from None
    if idempotency_key is not None:
        _check_idempotency_key(idempotency_key)
    fingerprint = _fingerprint(request) if idempotency_key is not None else None

    if idempotency_key is not None:
        replay = await _replay(db, principal, idempotency_key, fingerprint, links)
        if replay is not None:
            return replay
    now = now_us()
    timeout_s = request.timeout_s or spec.default_timeout_s
    values = {
        "id": new_id("task"),
        "account_id": principal.account_id,
        "key_id": principal.key_id,
        "sandbox": int(principal.sandbox),
        "type": spec.type,
        "model": spec.id,
        "provider": spec.provider,
        "status": Status.PENDING.value,
        "input": jsonutil.dumps(normalised),
        "metadata": jsonutil.dumps(request.metadata),
        "callback_url": request.callback_url,
        "timeout_s": timeout_s,
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
        "created_at": now,
        "updated_at": now,
        "run_at": now,  # due at once: the engine picks it up
        "deadline_at": now + timeout_s * 1_000_000,
    }
    holds = billing_holds.planned(principal, spec, normalised)
    try:
        async with db.write() as conn:
            await repository.insert(conn, {**values, **holds.task_values()})
            await dialect.notify_workers(conn)
            row = await repository.get(conn, principal.account_id, principal.sandbox, values["id"])
    except DBAPIError as exc:
        if (reason := dialect.refused_hold(exc)) is not None:
            raise await billing_holds.refusal(db, principal, holds, reason) from None
        if not isinstance(exc, IntegrityError):
            raise
        # Another request with the same Idempotency-Key won the race.
        if idempotency_key is not None:
            replay = await _replay(db, principal, idempotency_key, fingerprint, links)
            if replay is not None:
                return replay
        raise
    assert row is not None
    return Created(task_object(row, links=links), replayed=False)


def _check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        raise InvalidParameter(
            "Idempotency-Key", f"must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters"
        )


async def _replay(
    db: Database, principal: Principal, key: str, fingerprint: str | None, links: Linker | None
) -> Created | None:
    async with db.read() as conn:
        found = await repository.find_idempotent(conn, principal.account_id, principal.sandbox, key)
        if found is None:
            return None
        task_id, stored = found
        if stored != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request body"
            )
        row = await repository.get(conn, principal.account_id, principal.sandbox, task_id)
    assert row is not None
    return Created(task_object(row, links=links), replayed=True)


async def get_for_key(
    db: Database, secret: str, task_id: str, links: Linker | None = None
) -> dict[str, Any]:
    """Authenticate and fetch in one statement (the hot path of `GET /api/v1/tasks/{id}`)."""
    # An implausible id still authenticates the key (401 before 404), then finds nothing.
    lookup_id = task_id if plausible_id(task_id) else ""
    row = await db.fast.fetchrow(repository.GET_FOR_KEY_SQL, (lookup_id, hash_key(secret)))
    if row is None:
        raise Unauthorized("the API key is unknown or revoked")
    if row[1] is None:
        raise TaskNotFound()
    return task_object(row[1:], links=links)


async def get(
    db: Database, principal: Principal, task_id: str, links: Linker | None = None
) -> dict[str, Any]:
    """One task of the principal's account (the dashboard's read, with a session instead of a
    key); 404 for anything else, as `get_for_key`."""
    return task_object(await _own_row(db, principal, task_id), links=links)


async def _own_row(db: Database, principal: Principal, task_id: str) -> Sequence[Any]:
    """The row of one of the principal's tasks (its account and mode); 404 otherwise."""
    if not plausible_id(task_id):
        raise TaskNotFound()
    async with db.read() as conn:
        row = await repository.get(conn, principal.account_id, principal.sandbox, task_id)
    if row is None:
        raise TaskNotFound()
    return row


async def list_page(
    db: Database,
    principal: Principal,
    filters: ListFilters,
    *,
    cursor_text: str | None,
    limit: int,
    ascending: bool = False,
    with_total: bool = True,
    with_input: bool = False,
) -> Page:
    """`ascending`: oldest first. Without `with_total`, `total` is -1 (no count is made);
    `with_input` adds each task's `input` to the items."""
    after = cursor.decode(cursor_text) if cursor_text is not None else None
    async with db.read() as conn:
        rows = await repository.page(
            conn,
            principal.account_id,
            principal.sandbox,
            filters,
            after=after,
            limit=limit + 1,
            ascending=ascending,
        )
        total = (
            await repository.count(conn, principal.account_id, principal.sandbox, filters)
            if with_total
            else -1
        )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        cursor.encode(rows[-1][repository.CREATED_AT], rows[-1][repository.ID])
        if has_more
        else None
    )
    items = [task_object(r, with_result=with_input) for r in rows]
    return Page(items, next_cursor, has_more, total)


async def cursor_at(db: Database, principal: Principal, task_id: str) -> str:
    """The listing cursor positioned at one of the account's tasks (pages continue after it);
    404 for a task the account does not have."""
    row = await _own_row(db, principal, task_id)
    return cursor.encode(row[repository.CREATED_AT], row[repository.ID])


async def cancel(db: Database, principal: Principal, task_id: str) -> dict[str, Any]:
    if not plausible_id(task_id):
        raise TaskNotFound()
    async with db.write() as conn:
        cancelled = await repository.cancel_unfinished(
            conn, principal.account_id, principal.sandbox, task_id, now_us()
        )
        if cancelled:
            await dialect.notify_workers(conn)
        row = await repository.get(conn, principal.account_id, principal.sandbox, task_id)
    if row is None:
        raise TaskNotFound()
    obj = task_object(row)
    if cancelled:
        return obj
    if obj["status"] in FINAL:
        raise TaskNotCancellable(
            f"the task is already {obj['status']}; only unfinished tasks can be cancelled"
        )
    raise TaskNotCancellable(f"the task is {obj['status']}; it cannot be cancelled in that state")
