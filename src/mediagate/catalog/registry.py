"""The catalog: every model the gateway serves, looked up by id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mediagate.catalog.gemini_models import GEMINI_MODELS
from mediagate.catalog.kling_models import KLING_MODELS
from mediagate.catalog.local_models import LOCAL_MODELS
from mediagate.catalog.seedance_models import SEEDANCE_MODELS
from mediagate.catalog.seedream_models import SEEDREAM_MODELS
from mediagate.catalog.spec import ModelSpec, Price
from mediagate.catalog.tripo_models import TRIPO_MODELS
from mediagate.catalog.vidgo_models import VIDGO_MODELS
from mediagate.catalog.vidu_models import VIDU_MODELS


class Catalog:
    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models: dict[str, ModelSpec] = {}
        for spec in models:
            if spec.id in self._models:
                raise ValueError(f"duplicate model id {spec.id!r}")
            self._models[spec.id] = spec

    def register(self, models: Iterable[ModelSpec]) -> None:
        """Add models (a provider plugin's); the same spec again is a no-op, a clash an error."""
        for spec in models:
            known = self._models.get(spec.id)
            if known is not None and known != spec:
                raise ValueError(f"model id {spec.id!r} is already served by {known.provider}")
            self._models[spec.id] = spec

    def get(self, model_id: str) -> ModelSpec | None:
        return self._models.get(model_id)

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)


CATALOG = Catalog(
    (
        *LOCAL_MODELS,
        *VIDGO_MODELS,
        *TRIPO_MODELS,
        *SEEDANCE_MODELS,
        *SEEDREAM_MODELS,
        *GEMINI_MODELS,
        *VIDU_MODELS,
        *KLING_MODELS,
    )
)

__all__ = ["CATALOG", "Catalog", "ModelSpec", "Price"]
