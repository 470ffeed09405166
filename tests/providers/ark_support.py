"""Driving the ModelArk adapters directly against the simulator over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from remote_support import SimServer

from mediagate.catalog import CATALOG
from mediagate.providers.ark.base import ArkProvider
from mediagate.providers.base import SubmitRequest
from mediagate.providers.remote import Connection
from mediagate.simulator import SIM_CREDENTIALS

T = TypeVar("T")
P = TypeVar("P", bound=ArkProvider)


def run_with(
    cls: type[P],
    sim_server: SimServer,
    use: Callable[[P], Awaitable[T]],
    *,
    api_key: str | None = None,
) -> T:
    """`use(adapter)` for an adapter of `cls` on the simulator, with the simulator's key or
    `api_key`, in a fresh event loop."""

    async def go() -> T:
        key = api_key or SIM_CREDENTIALS[cls.name]["api_key"]
        connection = Connection(sim_server.base_url(cls.name), {"api_key": key}, timeout_s=3.0)
        adapter = cls(connection)
        try:
            return await use(adapter)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def request(model: str, prompt: str, *, validate: bool = True, **fields: Any) -> SubmitRequest:
    """A submit of `model` as the engine makes it (input validated, defaults filled in); with
    `validate=False`, the fields as given (what the catalog would refuse, to reach the API)."""
    spec = CATALOG.get(model)
    assert spec is not None, model
    params = {"prompt": prompt, **fields}
    if validate:
        params = spec.input_model(**params).model_dump()
    return SubmitRequest(task_id="task_test", model=spec, input=params, client_ref="ref_test")
