"""The offline `local` provider: procedural media rendered in-process, jobs kept on disk."""

from mediagate.providers.local.provider import LocalProvider

__all__ = ["LocalProvider"]
