"""The providers this process runs: the built-in ones and any configured plugins."""

from __future__ import annotations

import importlib

from mediagate.catalog import CATALOG
from mediagate.config import Settings
from mediagate.providers.base import Provider


class ProviderConfigError(ValueError):
    pass


def build_providers(settings: Settings) -> dict[str, Provider]:
    from mediagate.providers.local import LocalProvider

    providers: dict[str, Provider] = {
        "local": LocalProvider(jobs_dir=settings.data_dir / "local-jobs")
    }
    for provider in load_plugins(settings):
        providers[provider.name] = provider
    return providers


def load_plugins(settings: Settings) -> list[Provider]:
    """Import each `module:factory` of MEDIAGATE_PROVIDER_PLUGINS and register its models."""
    loaded = []
    for ref in settings.provider_plugins:
        module_name, _, attr = ref.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ProviderConfigError(
                f"MEDIAGATE_PROVIDER_PLUGINS: cannot load {ref!r}: {exc}"
            ) from None
        provider = factory(settings)
        if not isinstance(provider, Provider):
            raise ProviderConfigError(f"MEDIAGATE_PROVIDER_PLUGINS: {ref!r} made no Provider")
        CATALOG.register(provider.models())
        loaded.append(provider)
    return loaded
