"""One module per simulated provider; each offers `routes(sim) -> list[BaseRoute]`."""

from mediagate.simulator.providers import ark, gemini, tripo, vidgo

ALL = (vidgo, tripo, ark, gemini)
