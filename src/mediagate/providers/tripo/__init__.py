"""Tripo (Tripo3D apiv3): `POST /v3/generation/{text,image}-to-model`, `GET /v3/tasks/{id}`;
Bearer `tsk_` key; statuses queued/running/success/failed/banned/expired/cancelled/unknown with
progress, queue position and ETA; signed output URLs that expire after five minutes."""

from mediagate.providers.tripo.adapter import TripoProvider

__all__ = ["TripoProvider"]
