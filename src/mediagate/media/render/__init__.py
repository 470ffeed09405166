"""Offline renderers: real, deterministic media files derived from a prompt."""

from .audio import render_music, render_speech
from .errors import EncoderUnavailable, RenderCancelled
from .image import render_image
from .model3d import render_glb
from .video import render_video

__all__ = [
    "EncoderUnavailable",
    "RenderCancelled",
    "render_glb",
    "render_image",
    "render_music",
    "render_speech",
    "render_video",
]
