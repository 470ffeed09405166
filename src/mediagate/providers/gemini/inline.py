"""Input images as the Gemini API takes them: inline base64 with a MIME type. A data URI is
used as it is; a URL is fetched by the gateway (the Developer API takes no image URLs)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import httpx

from mediagate.providers.base import ProviderError, RetryableError

#: The Gemini API's limit on a whole inline request.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MIME_TYPES = ("image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True)
class InlineImage:
    mime_type: str
    data: str  # base64


def _invalid(message: str) -> ProviderError:
    return ProviderError("INVALID_INPUT", f"the input image {message}")


def from_data_uri(ref: str) -> InlineImage:
    header, _, data = ref.partition(",")
    mime_type = header.removeprefix("data:").removesuffix(";base64")
    if mime_type not in MIME_TYPES:
        raise _invalid(f"is {mime_type}; gemini takes {', '.join(MIME_TYPES)}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("is not valid base64") from None
    if not raw or len(raw) > MAX_IMAGE_BYTES:
        raise _invalid(f"must hold 1 to {MAX_IMAGE_BYTES} bytes")
    return InlineImage(mime_type, data)


async def fetch(url: str, http: httpx.AsyncClient) -> InlineImage:
    """Download an image URL (size-capped) and inline it."""
    try:
        async with http.stream("GET", url) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise RetryableError(f"fetching the input image: HTTP {response.status_code}")
            if response.status_code != 200:
                raise _invalid(f"URL answered HTTP {response.status_code}")
            mime_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if mime_type not in MIME_TYPES:
                raise _invalid(f"URL serves {mime_type or 'no type'}, not {', '.join(MIME_TYPES)}")
            raw = bytearray()
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) > MAX_IMAGE_BYTES:
                    raise _invalid(f"is larger than {MAX_IMAGE_BYTES} bytes")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # redirected to such a URL
        raise _invalid(f"URL led to a URL the gateway cannot fetch: {exc}") from None
    except httpx.TransportError as exc:
        raise RetryableError(f"fetching the input image: {_describe(exc)}") from None
    return InlineImage(mime_type, base64.b64encode(bytes(raw)).decode())


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def inline_image(ref: str | None, http: httpx.AsyncClient) -> InlineImage | None:
    if not ref:
        return None
    if ref.startswith("data:"):
        return from_data_uri(ref)
    return await fetch(ref, http)
