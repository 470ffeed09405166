"""The result linker of one request: signs result URLs against the URL the client used."""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.types import Scope

from mediagate.tasks.serialize import Linker


def linker_for(scope: Scope) -> Linker | None:
    """None when the app has no result storage (the API alone in some tests)."""
    results = getattr(scope["app"].state, "results", None)
    if results is None:
        return None

    def link(stored: str, task_id: str) -> list[dict]:
        # Built only for a succeeded task: most reads (of unfinished tasks) never need it.
        base = str(URL(scope=scope).replace(path="", query="", fragment=""))
        return results.public(stored, task_id, base)

    return link
