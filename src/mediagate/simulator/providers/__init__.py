"""One module per simulated provider; each offers `routes(sim) -> list[BaseRoute]`."""

from mediagate.simulator.providers import ark, gemini, kling, tripo, vidgo, vidu

ALL = (vidgo, tripo, ark, gemini, vidu, kling)
