"""The Gemini API (Developer mode): Veo videos as long-running operations
(`:predictLongRunning`, polled with `GET /v1beta/{operation}`), Gemini images as synchronous
`:generateContent` calls with the image inline; `x-goog-api-key`; no cancel, no lookup."""

from mediagate.providers.gemini.adapter import GeminiProvider

__all__ = ["GeminiProvider"]
