"""mediagate: a self-hosted gateway for asynchronous generative-media tasks."""

__version__ = "0.1.0"
