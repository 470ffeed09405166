"""Errors raised by the offline renderers."""

from __future__ import annotations


class RenderCancelled(Exception):
    """The caller's `should_stop` asked the render to stop; no output file was left behind."""


class EncoderUnavailable(RuntimeError):
    """The FFmpeg build bundled with PyAV has no encoder for the requested codec."""
