"""Reading a provider's JSON answer defensively: every field an adapter relies on is checked
for presence and type, and a missing or mistyped one is a `Malformed` answer naming the field,
never a KeyError or a TypeError deep inside an adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from mediagate.providers.base import RetryableError
from mediagate.providers.http import Malformed

T = TypeVar("T")
_MISSING: Any = object()


class Answer:
    """A parsed JSON value of `provider`'s, at `where` (a dotted path, for messages)."""

    def __init__(self, provider: str, value: Any, where: str = "the answer") -> None:
        self.provider = provider
        self.value = value
        self.where = where

    def _pick(self, key: str) -> Any:
        if not isinstance(self.value, dict):
            raise Malformed(self.provider, f"{self.where} is not a JSON object")
        return self.value.get(key, _MISSING)

    def _path(self, key: str) -> str:
        return key if self.where == "the answer" else f"{self.where}.{key}"

    def at(self, key: str) -> Answer:
        """The object at `key` (required)."""
        value = self._pick(key)
        if not isinstance(value, dict):
            raise Malformed(self.provider, f"{self._path(key)} is missing or not an object")
        return Answer(self.provider, value, self._path(key))

    def get(self, key: str, kind: type[T], default: T | None = None) -> T | None:
        """The value at `key` if it is a `kind` (None/absent: `default`); any other type is
        malformed. An int is accepted where a float is asked for; a bool never as a number."""
        value = self._pick(key)
        if value is _MISSING or value is None:
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            raise Malformed(
                self.provider, f"{self._path(key)} is {type(value).__name__}, not {kind.__name__}"
            )
        return value

    def need(self, key: str, kind: type[T]) -> T:
        value = self.get(key, kind)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise Malformed(self.provider, f"{self._path(key)} is missing")
        return value

    def items(self, key: str) -> list[Answer]:
        """The list at `key` (absent or null: empty), each element an Answer."""
        value = self.get(key, list, [])
        assert value is not None
        return [Answer(self.provider, v, f"{self._path(key)}[{i}]") for i, v in enumerate(value)]


def undocumented(provider: str, status: str, what: str = "status") -> RetryableError:
    """A job status the provider's docs do not list: retried, as it may be new and pass."""
    return RetryableError(
        f"{provider} reported the {what} {status[:40]!r}, which it does not document"
    )


def names_policy(message: str, words: Sequence[str]) -> bool:
    """Whether a provider's failure message speaks of its content rules (`words`, lower case)."""
    text = message.lower()
    return any(word in text for word in words)
