"""Choosing encoders that exist in the FFmpeg build bundled with PyAV."""

from __future__ import annotations

import functools

import av

from .errors import EncoderUnavailable

# Preferred first. "h264"/"mp3" resolve to FFmpeg's default encoder for the codec, if any.
_H264 = ("libx264", "libopenh264", "h264")
_MP3 = ("libmp3lame", "libshine", "mp3_mf", "mp3")


@functools.cache
def _first_encoder(candidates: tuple[str, ...], what: str) -> str:
    for name in candidates:
        try:
            return av.Codec(name, "w").name
        except Exception:  # PyAV raises different errors for unknown or unusable encoders
            continue
    raise EncoderUnavailable(f"PyAV's FFmpeg has no {what} encoder (tried {', '.join(candidates)})")


def h264_encoder() -> str:
    return _first_encoder(_H264, "H.264")


def mp3_encoder() -> str:
    return _first_encoder(_MP3, "MP3")
