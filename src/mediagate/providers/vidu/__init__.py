"""Vidu: `/ent/v2/{text2video,img2video,reference2image}`, polled at
`/ent/v2/tasks/{id}/creations`; `Authorization: Token <key>`; states
created/queueing/processing/success/failed; cancel until scheduled."""

from mediagate.providers.vidu.adapter import ViduProvider

__all__ = ["ViduProvider"]
