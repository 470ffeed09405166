"""Previews from pictures: an image itself, or a video's frame near 10 % of its length."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageOps

_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
_DRAFT = (640, 640)  # JPEG decodes at a reduced scale no smaller than this
_MAX_FRAMES = 300  # decoded after the seek before settling for the last one


def image_preview(path: Path, fmt: str, _duration: float | None) -> Image.Image:
    """The picture (first frame of an animation), turned upright by its EXIF orientation."""
    with Image.open(path, formats=[_PIL_FORMATS[fmt]]) as image:
        image.draft("RGB", _DRAFT)
        return ImageOps.exif_transpose(image)


def poster_frame(path: Path, fmt: str, duration: float | None) -> Image.Image:
    """The first frame at or after 10 % of the video, else its first decodable frame, shown
    at its display aspect ratio."""
    picture = None
    if duration:
        try:
            picture = _frame_at(path, 0.1 * duration)
        except Exception:  # seeking in an odd file: the first frame will do
            picture = None
    if picture is None:
        picture = _frame_at(path, 0.0)
    if picture is None:
        raise ValueError("no decodable video frame")
    return picture


def _frame_at(path: Path, target: float) -> Image.Image | None:
    with av.open(str(path), "r", format="mp4") as container:
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        if target > 0 and stream.time_base:
            container.seek(int((start + target) / stream.time_base), stream=stream, backward=True)
        last = None
        try:
            for count, frame in enumerate(container.decode(stream)):
                last = frame
                if frame.time is None or frame.time >= start + target or count >= _MAX_FRAMES:
                    break
        except av.FFmpegError:
            if last is None:
                raise
        if last is None:
            return None
        picture = last.to_image()
        ratio = stream.sample_aspect_ratio
    if ratio and ratio != 1:  # anamorphic: pixels are not square
        width = max(1, round(picture.width * float(ratio)))
        picture = picture.resize((width, picture.height), Image.Resampling.BILINEAR)
    return picture
