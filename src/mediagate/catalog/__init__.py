"""The model catalog: which models exist, their type, provider, input schema and price.

`CATALOG` is loaded on first use (every provider's model modules): `mediagate.catalog.spec`
alone (the task types, the spec classes) stays light for the command line's start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediagate.catalog.registry import CATALOG, ModelSpec, Price

__all__ = ["CATALOG", "ModelSpec", "Price"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mediagate.catalog import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
