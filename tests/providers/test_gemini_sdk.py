"""The official Python SDK, google-genai 2.34.0 (the last that sends Veo requests in Gemini
Developer API mode), driving the simulator over loopback: if it builds its requests and parses
the answers, the simulator speaks the Gemini API's wire format."""

from __future__ import annotations

import base64
import io
import time

import av
import pytest
from google import genai
from google.genai import errors, types
from PIL import Image
from remote_support import SimServer

from mediagate.simulator import SIM_CREDENTIALS

KEY = SIM_CREDENTIALS["gemini"]["api_key"]
VEO = "veo-3.1-fast-generate-preview"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ESXHgA0wYRUdtBIA/zIBUFXKRGIAAAAASUVORK5CYII="
)


def client(sim_server: SimServer, key: str = KEY) -> genai.Client:
    options = types.HttpOptions(base_url=sim_server.url, api_version="v1beta")
    return genai.Client(api_key=key, http_options=options)


def source(prompt: str) -> types.GenerateVideosSource:
    return types.GenerateVideosSource(prompt=prompt)


def finished(
    gemini: genai.Client, operation: types.GenerateVideosOperation
) -> types.GenerateVideosOperation:
    deadline = time.monotonic() + 30
    while not operation.done:
        assert time.monotonic() < deadline, operation
        time.sleep(0.2)
        operation = gemini.operations.get(operation)
    return operation


def test_veo_text_to_video_polled_and_downloaded(sim_server: SimServer) -> None:
    gemini = client(sim_server)
    operation = gemini.models.generate_videos(
        model=VEO,
        source=types.GenerateVideosSource(prompt="a heron through the SDK"),
        config=types.GenerateVideosConfig(
            aspect_ratio="9:16", duration_seconds=4, resolution="720p", negative_prompt="rain"
        ),
    )
    assert operation.name and operation.name.startswith(f"models/{VEO}/operations/")
    assert not operation.done
    operation = finished(gemini, operation)
    assert operation.error is None and operation.response is not None
    videos = operation.response.generated_videos
    assert videos and videos[0].video and videos[0].video.uri
    assert videos[0].video.uri.startswith("https://generativelanguage.googleapis.com/v1beta/files/")
    data = gemini.files.download(file=videos[0].video)  # the SDK rewrites the host to its base
    assert videos[0].video.video_bytes == data
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (180, 320)
        assert sum(1 for _ in container.decode(video=0)) > 0


def test_veo_image_to_video(sim_server: SimServer) -> None:
    gemini = client(sim_server)
    operation = gemini.models.generate_videos(
        model=VEO,
        source=types.GenerateVideosSource(
            prompt="a heron takes off", image=types.Image(image_bytes=PNG, mime_type="image/png")
        ),
        config=types.GenerateVideosConfig(duration_seconds=6),
    )
    operation = finished(gemini, operation)
    assert operation.response and operation.response.generated_videos
    job = sim_server.sim.store.get("gemini", operation.name.rsplit("/", 1)[1])
    assert job is not None and job.params["image"] is True


def test_veo_safety_filtering_is_parsed(sim_server: SimServer) -> None:
    gemini = client(sim_server)
    operation = gemini.models.generate_videos(
        model=VEO, source=source("a heron [sim:content_policy]"), config={"duration_seconds": 4}
    )
    operation = finished(gemini, operation)
    assert operation.response is not None
    assert operation.response.rai_media_filtered_count == 1
    assert operation.response.rai_media_filtered_reasons
    assert not operation.response.generated_videos


def test_gemini_image_inline(sim_server: SimServer) -> None:
    gemini = client(sim_server)
    response = gemini.models.generate_content(
        model="gemini-2.5-flash-image",
        contents=["a heron, as a poster", types.Part.from_bytes(data=PNG, mime_type="image/png")],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9")
        ),
    )
    assert response.candidates and response.candidates[0].finish_reason == "STOP"
    blob = response.candidates[0].content.parts[0].inline_data
    assert blob is not None and blob.mime_type == "image/png" and blob.data
    with Image.open(io.BytesIO(blob.data)) as image:
        assert image.size == (320, 182)  # 1344x768 scaled down to the simulator's size
    assert response.usage_metadata and response.usage_metadata.candidates_token_count == 1290


def test_a_blocked_image_prompt_is_parsed(sim_server: SimServer) -> None:
    gemini = client(sim_server)  # kept: a client closes its connections when collected
    response = gemini.models.generate_content(
        model="gemini-2.5-flash-image",
        contents="a heron [sim:content_policy]",
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert response.prompt_feedback is not None
    assert response.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    assert not response.candidates


def test_errors_are_parsed_into_the_sdks_exceptions(sim_server: SimServer) -> None:
    wrong = client(sim_server, key="AIza-wrong")
    with pytest.raises(errors.ClientError) as raised:
        wrong.models.generate_videos(model=VEO, source=source("a heron"))
    assert raised.value.code == 400 and raised.value.status == "INVALID_ARGUMENT"
    assert "API key not valid" in (raised.value.message or "")
    assert raised.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"

    gemini = client(sim_server)
    with pytest.raises(errors.ClientError) as raised:
        gemini.models.generate_videos(
            model=VEO,
            source=source("a heron"),
            config={"resolution": "1080p", "duration_seconds": 4},
        )
    assert raised.value.code == 400 and "8 seconds" in (raised.value.message or "")

    with pytest.raises(errors.ClientError) as raised:
        gemini.models.generate_videos(model=VEO, source=source("a heron, SDK [sim:rate_limit]"))
    assert raised.value.code == 429 and raised.value.status == "RESOURCE_EXHAUSTED"

    operation = gemini.models.generate_videos(model=VEO, source=source("a heron [sim:lost]"))
    with pytest.raises(errors.ClientError) as raised:
        gemini.operations.get(operation)
    assert raised.value.code == 404 and raised.value.status == "NOT_FOUND"

    with pytest.raises(errors.ServerError) as server_error:
        gemini.models.generate_content(
            model="gemini-2.5-flash-image", contents="a heron, SDK [sim:server_error]"
        )
    assert server_error.value.code == 503 and server_error.value.status == "UNAVAILABLE"
