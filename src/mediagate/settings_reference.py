"""`docs/settings.md`, made from the settings class: every `MEDIAGATE_*` variable with its
default and what it does. Regenerate with `python -m mediagate.settings_reference >
docs/settings.md` (a test fails while the file differs)."""

from __future__ import annotations

import json
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mediagate.config import Settings

_HEADER = """# Settings

Every setting is an environment variable (`MEDIAGATE_` + the name in capitals); a `.env` file
is not read. Lists and maps are JSON (`MEDIAGATE_PROVIDER_CONCURRENCY='{"kling": 4}'`); durations
are seconds or ISO 8601 (`P7D`).

This page is generated from `src/mediagate/config.py` by
`python -m mediagate.settings_reference > docs/settings.md`.

| variable | default | what it does |
| --- | --- | --- |
"""


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict | list):
        return f"`{json.dumps(value)}`"
    if hasattr(value, "total_seconds"):
        return f"`{int(value.total_seconds())}` s"
    text = str(value)
    return f"`{text}`" if text else "empty"


def markdown() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        what = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `MEDIAGATE_{name.upper()}` | {_default(field)} | {what} |")
    return _HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
