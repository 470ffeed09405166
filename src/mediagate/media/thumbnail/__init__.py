"""Result previews: an image's downscale, a video's poster frame, an audio waveform, a rendered
view of a 3D model; saved as WebP, at most MAX_SIDE pixels on the longest side."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from .frames import image_preview, poster_frame
from .model_view import model_view
from .waveform import waveform

MAX_SIDE = 320
FORMAT = "webp"
CONTENT_TYPE = "image/webp"

#: format (as the probe names it) -> preview maker(path, format, duration) -> picture.
_PREVIEWS: dict[str, Callable[[Path, str, float | None], Image.Image]] = {
    "png": image_preview,
    "jpg": image_preview,
    "webp": image_preview,
    "mp4": poster_frame,
    "wav": waveform,
    "mp3": waveform,
    "glb": model_view,
}


class ThumbnailUnavailable(ValueError):
    """No preview can be made of this file (an unsupported format, or corrupt content)."""


def make_thumbnail(
    source: str | os.PathLike[str],
    fmt: str,
    dest: str | os.PathLike[str],
    *,
    duration: float | None = None,
) -> tuple[int, int]:
    """Write a WebP preview of `source` (a file of format `fmt`, as `probe` named it; its
    `duration` in seconds helps for video and audio) to `dest`; returns its size.

    Blocking, CPU-bound work: call it in a thread. Raises ThumbnailUnavailable for any file it
    cannot preview, and OSError only when `dest` cannot be written.
    """
    source = Path(source)
    maker = _PREVIEWS.get(fmt)
    if maker is None:
        raise ThumbnailUnavailable(f"{source.name}: no preview for {fmt!r} files")
    try:
        picture = maker(source, fmt, duration)
        picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    except ThumbnailUnavailable:
        raise
    except Exception as exc:  # decoders raise many types on corrupt data
        raise ThumbnailUnavailable(f"{source.name}: {type(exc).__name__}: {exc}") from None
    picture.save(dest, "WEBP", quality=80, method=4)
    return picture.size


__all__ = ["CONTENT_TYPE", "FORMAT", "MAX_SIDE", "ThumbnailUnavailable", "make_thumbnail"]
