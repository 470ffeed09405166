"""The provider simulator: one ASGI app serving every simulated provider's API at its real
paths, their output files, and a log of the requests it answered (for tests to count)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mediagate.simulator.credentials import SIM_CREDENTIALS
from mediagate.simulator.jobs import JobStore, SimJob, Timing
from mediagate.simulator.outputs import Outputs
from mediagate.simulator.scenarios import Runs, Scenario

#: The body of a malformed answer that is not JSON at all (a proxy's error page).
HTML_ERROR = "<html><body>502 Bad Gateway</body></html>"
#: The longest a `hang` answer stays open (it ends sooner when the client goes away).
HANG_S = 600.0


@dataclass(frozen=True)
class Logged:
    provider: str
    action: str  # submit, poll, cancel, find, fetch ...
    key: str  # the job id, or the prompt for a submit
    status: int
    job: str = ""  # the job an accepted submit created


class Simulator:
    def __init__(
        self,
        state_dir: Path,
        *,
        timing: Timing | None = None,
        credentials: Mapping[str, Mapping[str, str]] = SIM_CREDENTIALS,
    ) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(state_dir / "jobs", timing or Timing())
        self.outputs = Outputs(state_dir / "files", _secret(state_dir / "secret"))
        self.credentials = credentials
        self.runs = Runs()
        self.requests: deque[Logged] = deque(maxlen=20_000)

    def record(self, provider: str, action: str, key: str, status: int, job: str = "") -> None:
        self.requests.append(Logged(provider, action, key, status, job))

    def requests_for(self, prompt: str) -> list[Logged]:
        """Every request about the task with this prompt: its submits and its job's calls."""
        jobs = {r.job for r in self.requests if r.key == prompt and r.job}
        return [r for r in self.requests if r.key == prompt or r.key in jobs]

    def count(self, provider: str, action: str | None = None, key: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if r.provider == provider
            and (action is None or r.action == action)
            and (key is None or r.key == key)
        )

    def failure_now(self, scenario: Scenario, key: str) -> Scenario | None:
        """RATE_LIMIT or SERVER_ERROR while the run of failures for `key` lasts, else None."""
        if scenario in (Scenario.RATE_LIMIT, Scenario.SERVER_ERROR) and self.runs.fail_now(
            f"{scenario}:{key}"
        ):
            return scenario
        return None

    async def poll(
        self,
        provider: str,
        request: Request,
        job: SimJob,
        *,
        failure: Callable[[Scenario, str], Response | None],
        malformed: Any,
        answer: Callable[[], Awaitable[Response]],
    ) -> Response:
        """The course every simulated poll of a known job takes: the run of 429s / 5xx its
        scenario asks for (`failure` words them), a hang, a malformed answer (alternately an
        HTML error page and the JSON `malformed`, which lacks the documented fields), or else
        `answer()`."""
        refused = failure(job.scenario, f"poll:{job.id}")
        if refused is not None:
            self.record(provider, "poll", job.id, refused.status_code)
            return refused
        self.record(provider, "poll", job.id, 200)
        if job.scenario is Scenario.HANG:
            return await self.hang(request)
        if job.scenario is Scenario.MALFORMED:
            if self.count(provider, "poll", job.id) % 2:
                return Response(HTML_ERROR, status_code=200, media_type="text/html")
            return JSONResponse(malformed)
        return await answer()

    async def hang(self, request: Request) -> Response:
        """Never answer (until the client gives up and disconnects)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + HANG_S
        while loop.time() < until:
            await asyncio.sleep(0.5)
            if await request.is_disconnected():
                break
        return Response(status_code=504)

    def app(self) -> Starlette:
        from mediagate.simulator.providers import ALL

        routes: list[BaseRoute] = [
            Route("/sim-files/{name:path}", self.outputs.serve),
            Route("/_sim/requests", self._log),
        ]
        for module in ALL:
            routes.extend(module.routes(self))
        app = Starlette(routes=routes)
        app.state.simulator = self
        return app

    async def _log(self, request: Request) -> Response:
        return JSONResponse([r.__dict__ for r in self.requests])


def _secret(path: Path) -> bytes:
    """The URL-signing secret, shared by every process using this state directory."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_bytes(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_bytes()
