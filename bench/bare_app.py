"""The baseline for bench_get_task: a bare Starlette endpoint answering fixed bytes.

It answers the very body mediagate gave for the same task (read from BENCH_BODY_FILE), so the
two servers differ only by what mediagate does per request: authentication, lookup, encoding.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()


async def task(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/api/v1/tasks/{task_id}", task)])
