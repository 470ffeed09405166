"""Offline media: renderers for the built-in `local` provider and a content-based probe."""

from .probe import MIME_TYPES, MediaInfo, UnsupportedMedia, probe
from .render import (
    EncoderUnavailable,
    RenderCancelled,
    render_glb,
    render_image,
    render_music,
    render_speech,
    render_video,
)

__all__ = [
    "MIME_TYPES",
    "EncoderUnavailable",
    "MediaInfo",
    "RenderCancelled",
    "UnsupportedMedia",
    "probe",
    "render_glb",
    "render_image",
    "render_music",
    "render_speech",
    "render_video",
]
