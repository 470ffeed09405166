"""The model catalog: which models exist, their type, provider, input schema and price."""

from mediagate.catalog.registry import CATALOG, ModelSpec, Price

__all__ = ["CATALOG", "ModelSpec", "Price"]
