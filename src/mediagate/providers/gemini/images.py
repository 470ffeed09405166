"""Gemini image generation: one synchronous `:generateContent` call whose answer carries the
images inline (`candidates[].content.parts[].inlineData {mimeType, data}`, base64), as
google-genai 2.34.0 sends and parses it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from mediagate.providers.answers import Answer
from mediagate.providers.base import ProviderError
from mediagate.providers.gemini.inline import InlineImage
from mediagate.providers.http import Malformed

PROVIDER = "gemini"
#: Finish reasons of a candidate withheld by the safety filters.
_POLICY_REASONS = {
    "SAFETY",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "RECITATION",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
}
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def request_body(params: Mapping[str, Any], image: InlineImage | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": params["prompt"]}]
    if image is not None:  # image editing: the image follows the instruction
        parts.append({"inlineData": {"mimeType": image.mime_type, "data": image.data}})
    return {
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": params.get("aspect_ratio", "1:1")},
        },
    }


def images_of(body: Any) -> list[tuple[str, bytes]]:
    """The (file extension, bytes) of every image in the answer; a blocked prompt or a
    withheld image is CONTENT_POLICY_VIOLATION, an answer without an image PROVIDER_ERROR."""
    answer = Answer(PROVIDER, body)
    if answer.get("promptFeedback", dict) is not None:
        block = answer.at("promptFeedback").get("blockReason", str)
        if block:
            raise ProviderError("CONTENT_POLICY_VIOLATION", f"gemini blocked the prompt ({block})")
    if answer.get("candidates", list) is None:
        raise Malformed(PROVIDER, "the answer has no candidates")
    images: list[tuple[str, bytes]] = []
    reasons: list[str] = []
    texts: list[str] = []
    for candidate in answer.items("candidates"):
        if reason := candidate.get("finishReason", str):
            reasons.append(reason)
        if candidate.get("content", dict) is None:
            continue
        for part in candidate.at("content").items("parts"):
            if part.get("inlineData", dict) is not None:
                images.append(_image(part.at("inlineData")))
            elif text := part.get("text", str):
                texts.append(text)
    if images:
        return images
    withheld = [r for r in reasons if r in _POLICY_REASONS]
    if withheld:
        raise ProviderError(
            "CONTENT_POLICY_VIOLATION",
            f"gemini's safety filters withheld the image ({withheld[0]})",
        )
    said = f": {' '.join(texts)[:300]}" if texts else ""
    why = f" (finish reason {reasons[0]})" if reasons else ""
    raise ProviderError("PROVIDER_ERROR", f"gemini returned no image{why}{said}")


def _image(blob: Answer) -> tuple[str, bytes]:
    mime_type = blob.need("mimeType", str)
    if mime_type not in IMAGE_TYPES:
        raise Malformed(PROVIDER, f"inlineData.mimeType is {mime_type[:40]!r}, not an image")
    try:
        data = base64.b64decode(blob.need("data", str), validate=True)
    except (binascii.Error, ValueError):
        raise Malformed(PROVIDER, "inlineData.data is not base64") from None
    return IMAGE_TYPES[mime_type], data
