"""vidgo.ai: one task API (`/api/generate/submit`, `/api/generate/status/{id}`) for many
upstream models; Bearer key; statuses not_started/running/finished/failed with progress."""

from mediagate.providers.vidgo.adapter import VidgoProvider

__all__ = ["VidgoProvider"]
