"""The Gemini API adapter (Developer mode): Veo (`veo.py`) and Gemini images (`images.py`)
behind one provider, `gemini`, authenticated with `x-goog-api-key`."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from mediagate.catalog.gemini_models import GEMINI_MODELS
from mediagate.catalog.spec import ModelSpec
from mediagate.providers.base import JobNotFound, JobState, JobStatus, ProviderError, SubmitRequest
from mediagate.providers.egress import EgressPolicy, egress_client
from mediagate.providers.gemini import errors, images, veo
from mediagate.providers.gemini.files import InlineFiles
from mediagate.providers.gemini.inline import inline_image
from mediagate.providers.remote import Connection, RemoteProvider

#: A synchronous generation may take this many times an ordinary call's time limit.
SYNC_TIMEOUT_FACTOR = 4


class GeminiProvider(RemoteProvider):
    name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"
    supports_cancel = False  # the Developer API has no cancel for Veo operations

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        root = connection.files_dir or Path(tempfile.gettempdir()) / "mediagate-gemini"
        self.inline = InlineFiles(root)
        # Input image URLs come from clients: fetched without the provider's credentials, and
        # only from public addresses unless the operator allows private ones.
        self._images_http = egress_client(
            EgressPolicy(allow_private=connection.allow_private_urls),
            timeout=httpx.Timeout(30.0, connect=10.0),
            follow_redirects=True,
        )

    def models(self) -> Sequence[ModelSpec]:
        return GEMINI_MODELS

    def auth_headers(self) -> Mapping[str, str]:
        return {"x-goog-api-key": self.credential("api_key")}

    def refusal(self, status: int, body: Any) -> ProviderError | None:
        return errors.refusal(status, body)

    def refusal_429(self, body: Any) -> ProviderError | None:
        return errors.rate_limited(body)

    async def submit(self, request: SubmitRequest) -> str:
        model = request.model.native_id
        image = await inline_image(request.input.get("image"), self._images_http)
        if request.model.type == "image":
            body = await self.http.call(
                "POST",
                f"/v1beta/models/{model}:generateContent",
                json=images.request_body(request.input, image),
                timeout_s=self.connection.timeout_s * SYNC_TIMEOUT_FACTOR,
            )
            return await self.inline.save(request.task_id, images.images_of(body))
        body = await self.http.call(
            "POST",
            f"/v1beta/models/{model}:predictLongRunning",
            json=veo.request_body(request.input, image),
        )
        return veo.operation_name(body)

    async def poll(self, job_id: str) -> JobStatus:
        if self.inline.owns(job_id):  # a synchronous job: done at submit
            outputs = await self.inline.outputs(job_id)
            return JobStatus(JobState.SUCCEEDED, progress=100, outputs=outputs)
        if not veo.is_operation(job_id):
            raise JobNotFound(f"{job_id[:80]!r} is not a gemini operation name")
        body = await self.http.call("GET", f"/v1beta/{job_id}", job=True)
        return veo.status(body, self.connection.base_url, self.credential("api_key"))

    async def cleanup(self, job_id: str) -> None:
        """Called by the engine once a job's outputs are stored."""
        if self.inline.owns(job_id):
            await self.inline.remove(job_id)

    async def aclose(self) -> None:
        await self._images_http.aclose()
        await super().aclose()
