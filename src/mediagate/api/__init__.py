"""The HTTP API: app factory, routes, authentication and the error envelope."""

from mediagate.api.app import create_app

__all__ = ["create_app"]
