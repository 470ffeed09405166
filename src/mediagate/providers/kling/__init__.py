"""Kling (legacy API): `/v1/videos/{text2video,image2video}`, `/v1/images/generations`, each
polled at `<path>/{task_id}`; a JWT signed per request from the access and secret keys;
statuses submitted/processing/succeed/failed; jobs found again by `external_task_id`."""

from mediagate.providers.kling.adapter import KlingProvider

__all__ = ["KlingProvider"]
