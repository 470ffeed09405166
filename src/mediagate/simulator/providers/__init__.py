"""One module per simulated provider; each offers `routes(sim) -> list[BaseRoute]`."""

from mediagate.simulator.providers import tripo, vidgo

ALL = (vidgo, tripo)
