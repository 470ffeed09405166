"""`client.models`: the gateway's model catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mediagate.client._effects import Op
from mediagate.client._ops import Operations
from mediagate.client.models import Model


def _params(type: str | None, provider: str | None) -> dict[str, str]:
    return {k: v for k, v in (("type", type), ("provider", provider)) if v is not None}


class Models:
    def __init__(self, ops: Operations, run: Callable[[Op[Any]], Any]) -> None:
        self._ops = ops
        self._run = run

    def list(self, *, type: str | None = None, provider: str | None = None) -> list[Model]:
        """Every model (of `type`, of `provider`), with its input schema and price."""
        return self._run(self._ops.models(_params(type, provider)))


class AsyncModels:
    def __init__(self, ops: Operations, run: Callable[[Op[Any]], Awaitable[Any]]) -> None:
        self._ops = ops
        self._run = run

    async def list(self, *, type: str | None = None, provider: str | None = None) -> list[Model]:
        return await self._run(self._ops.models(_params(type, provider)))
