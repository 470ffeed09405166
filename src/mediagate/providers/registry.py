"""The providers this process runs: the built-in ones (live, with the configured credentials,
and sandbox, on the in-process simulator) and any configured plugins (live only: a plugin has
no sandbox twin, so test keys never reach it)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mediagate.catalog import CATALOG, ModelSpec
from mediagate.config import Settings
from mediagate.providers.base import Provider
from mediagate.providers.remote import Connection, RemoteProvider

#: The sandbox's simulator, reached in process (the host name is never resolved).
SANDBOX_URL = "http://simulator.sandbox"


class ProviderConfigError(ValueError):
    pass


def remote_classes() -> dict[str, type[RemoteProvider]]:
    """The built-in remote adapters, by provider name."""
    from mediagate.providers.ark import SeedanceProvider, SeedreamProvider
    from mediagate.providers.gemini import GeminiProvider
    from mediagate.providers.kling import KlingProvider
    from mediagate.providers.tripo import TripoProvider
    from mediagate.providers.vidgo import VidgoProvider
    from mediagate.providers.vidu import ViduProvider

    classes: list[type[RemoteProvider]] = [
        VidgoProvider,
        TripoProvider,
        SeedanceProvider,
        SeedreamProvider,
        GeminiProvider,
        ViduProvider,
        KlingProvider,
    ]
    return {cls.name: cls for cls in classes}


@dataclass
class ProviderSet:
    """Live providers (paid calls), their sandbox twins (mg_test_ tasks), fallback chains."""

    live: dict[str, Provider]
    sandbox: dict[str, Provider]
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys([*self.live, *self.sandbox]))

    def get(self, name: str, *, sandbox: bool) -> Provider | None:
        return (self.sandbox if sandbox else self.live).get(name)

    def chain(self, spec: ModelSpec) -> tuple[str, ...]:
        """The providers that may run `spec`, in the order to try them."""
        return (spec.provider, *self.fallbacks.get(spec.id, spec.fallbacks))

    def unavailable(self, spec: ModelSpec, *, sandbox: bool = False) -> str | None:
        """Why no provider of the mode (live, or `sandbox` for test keys) can run `spec` on
        this gateway, or None if one can."""
        missing = []
        for name in self.chain(spec):
            provider = (self.sandbox if sandbox else self.live).get(name)
            if provider is None and sandbox and name in self.live:
                missing.append(f"provider {name} has no sandbox: only live keys can use it")
            elif provider is None:
                missing.append(f"provider {name} is not installed")
            elif not getattr(provider, "configured", True):
                missing.append(f"{name} needs {provider.missing_config}")  # type: ignore[attr-defined]
            else:
                return None
        return "; ".join(missing)

    def configured_hosts(self) -> frozenset[str]:
        """The hosts of the live remote providers' base URLs: the operator chose them, so
        their outputs are fetched from whatever address they have (a private one too)."""
        return frozenset(
            httpx.URL(p.connection.base_url).host.lower()
            for p in self.live.values()
            if isinstance(p, RemoteProvider)
        )

    async def aclose(self) -> None:
        for provider in {id(p): p for p in [*self.live.values(), *self.sandbox.values()]}.values():
            with contextlib.suppress(Exception):
                await provider.aclose()


def build_providers(settings: Settings) -> ProviderSet:
    from mediagate.providers.local import LocalProvider

    local = LocalProvider(jobs_dir=settings.data_dir / "local-jobs")
    live: dict[str, Provider] = {"local": local}
    sandbox: dict[str, Provider] = {"local": local}
    transport = (
        None
        if settings.sandbox_simulator_url
        else _sandbox_transport(settings.data_dir / "simulator")
    )
    for name, cls in remote_classes().items():
        live[name] = cls(_live_connection(settings, name, cls))
        sandbox[name] = cls(_sandbox_connection(settings, name, cls, transport))
    for provider in load_plugins(settings):
        live[provider.name] = provider  # no sandbox twin: a test key's task never reaches it
    fallbacks = {model: tuple(chain) for model, chain in settings.fallbacks.items()}
    providers = ProviderSet(live, sandbox, fallbacks)
    _check_fallbacks(providers)
    return providers


def _live_connection(settings: Settings, name: str, cls: type[RemoteProvider]) -> Connection:
    credentials = {}
    for credential in cls.credential_names:
        secret = getattr(settings, f"{name}_{credential}", None)
        if secret is not None and secret.get_secret_value():
            credentials[credential] = secret.get_secret_value()
    return Connection(
        base_url=getattr(settings, f"{name}_base_url", cls.default_base_url),
        credentials=credentials,
        timeout_s=settings.provider_timeout_seconds,
        files_dir=settings.data_dir / "provider-files" / name,
        allow_private_urls=settings.fetch_private_urls,
    )


def _sandbox_transport(state_dir: Path) -> httpx.AsyncBaseTransport:
    from mediagate.simulator import Simulator

    return httpx.ASGITransport(app=Simulator(state_dir).app())


def _sandbox_connection(
    settings: Settings,
    name: str,
    cls: type[RemoteProvider],
    transport: httpx.AsyncBaseTransport | None,
) -> Connection:
    """On the in-process simulator (`transport`), or over the network on the one at
    `MEDIAGATE_SANDBOX_SIMULATOR_URL`."""
    from mediagate.simulator import SIM_CREDENTIALS

    live_base = getattr(settings, f"{name}_base_url", cls.default_base_url)
    simulator = (settings.sandbox_simulator_url or SANDBOX_URL).rstrip("/")
    return Connection(
        base_url=simulator + httpx.URL(live_base).path.rstrip("/"),  # same paths as live
        credentials=SIM_CREDENTIALS[name],
        timeout_s=settings.provider_timeout_seconds,
        transport=transport,
        files_dir=settings.data_dir / "provider-files" / f"{name}-sandbox",
        allow_private_urls=settings.fetch_private_urls,
    )


def _check_fallbacks(providers: ProviderSet) -> None:
    for spec in CATALOG:
        for name in providers.chain(spec)[1:]:
            provider = providers.live.get(name)
            if provider is None:
                raise ProviderConfigError(
                    f"MEDIAGATE_FALLBACKS: model {spec.id!r} names unknown provider {name!r}"
                )
            if not provider.serves(spec):
                raise ProviderConfigError(
                    f"MEDIAGATE_FALLBACKS: provider {name!r} cannot serve model {spec.id!r}"
                )
    for model in providers.fallbacks:
        if CATALOG.get(model) is None:
            raise ProviderConfigError(f"MEDIAGATE_FALLBACKS: unknown model {model!r}")


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
