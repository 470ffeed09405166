"""BytePlus ModelArk (`/api/v3`): Seedance video tasks and Seedream image generation, each
checking its own API key (`SIM_CREDENTIALS["seedance"]`, `["seedream"]`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from mediagate.simulator.app import Simulator
from mediagate.simulator.providers.ark import seedance, seedream


def routes(sim: Simulator) -> list[BaseRoute]:
    return [*seedance.routes(sim), *seedream.routes(sim)]
