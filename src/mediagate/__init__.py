"""mediagate: a self-hosted gateway for asynchronous generative-media tasks.

`from mediagate import Client, AsyncClient` (and the client's errors and models) is the
Python client; it is imported on first use, so `import mediagate` stays cheap for the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mediagate.client import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if not name.startswith("_") and name != "client":
        client = importlib.import_module("mediagate.client")
        if name in client.__all__:
            return getattr(client, name)
    raise AttributeError(f"module 'mediagate' has no attribute {name!r}")
