"""One module per simulated provider; each offers `routes(sim) -> list[BaseRoute]`."""

from mediagate.simulator.providers import vidgo

ALL = (vidgo,)
