"""Answers into data or typed errors. Nothing the server sends is trusted: anything outside the
contract becomes `InvalidResponse` (never a KeyError or a pydantic ValidationError)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from mediagate.client._effects import Reply
from mediagate.client.errors import APIError, InvalidResponse, RateLimited, error_class, printable

M = TypeVar("M")


@dataclass(frozen=True)
class Envelope:
    """A successful answer: its `data`, and `pagination` for a listing."""

    data: Any
    pagination: Any
    status: int


def _json(reply: Reply) -> Any:
    try:
        return json.loads(reply.body)
    except (ValueError, UnicodeDecodeError):
        snippet = printable(reply.body[:120].decode("utf-8", "replace"), 120)
        raise InvalidResponse(
            f"the gateway answered HTTP {reply.status} with a body that is not JSON: {snippet!r}",
            reply.status,
        ) from None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date); None if absent or malformed."""
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def api_error(reply: Reply) -> APIError:
    """The typed error of an error answer; a body outside the envelope still gives the class
    of its status."""
    code, message = f"HTTP_{reply.status}", f"the gateway answered HTTP {reply.status}"
    try:
        body = json.loads(reply.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        if isinstance(error.get("code"), str) and error["code"]:
            code = error["code"]
        if isinstance(error.get("message"), str) and error["message"]:
            message = error["message"]
    elif reply.status >= 500:
        code = "INTERNAL_ERROR"
    cls = error_class(reply.status, code)
    kwargs: dict[str, Any] = {
        "status_code": reply.status,
        "code": code,
        "headers": dict(reply.headers),
    }
    if issubclass(cls, RateLimited):
        kwargs["retry_after"] = retry_after(reply.headers)
    return cls(message, **kwargs)


def envelope(reply: Reply) -> Envelope:
    """The data of a 2xx answer, or the typed error of any other."""
    if not 200 <= reply.status < 300:
        raise api_error(reply)
    if reply.status == 204:
        return Envelope(None, None, reply.status)
    body = _json(reply)
    if not isinstance(body, dict) or body.get("success") is not True or "data" not in body:
        raise InvalidResponse(
            f"the gateway's HTTP {reply.status} answer is not the contract's envelope "
            '({"success": true, "data": ...})',
            reply.status,
        )
    return Envelope(body["data"], body.get("pagination"), reply.status)


@lru_cache(maxsize=16)
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def validate(kind: type[M] | Any, data: Any, what: str) -> M:
    """`data` as `kind` (a model, or a type such as list[Model]), or InvalidResponse naming the
    first problem."""
    try:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind.model_validate(data)  # type: ignore[return-value]
        return _adapter(kind).validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InvalidResponse(
            f"the gateway sent a malformed {what}: {where}: {first['msg']}"
        ) from None
