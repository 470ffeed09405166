"""The provider simulator: each provider's documented API, with real output files and failure
scenarios chosen by prompt markers. It serves the sandbox (`mg_test_` keys, in process) and
runs standalone as `mediagate simulator --port P`."""

from mediagate.simulator.app import Simulator
from mediagate.simulator.credentials import SIM_CREDENTIALS
from mediagate.simulator.jobs import Timing
from mediagate.simulator.scenarios import Scenario

__all__ = ["SIM_CREDENTIALS", "Scenario", "Simulator", "Timing"]
