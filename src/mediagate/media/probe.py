"""Measure a media file from its content: format, size, duration, dimensions."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
from PIL import Image

from .containers import check_complete
from .glb import read_glb_document
from .sniff import sniff

MIME_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "glb": "model/gltf-binary",
}
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
_DEMUXERS = {"mp4": "mp4", "wav": "wav", "mp3": "mp3"}
# Packets decoded to prove a stream is real media (the rest are only demuxed).
_DECODE_PACKETS = 32
# A stream whose packets cover less than its declared duration by more than this is truncated.
_TRUNCATION_SLACK = 0.25


class UnsupportedMedia(ValueError):
    """The content is not a supported media format, or is corrupt or truncated."""


@dataclass(frozen=True, slots=True)
class MediaInfo:
    format: str  # png, jpg, webp, mp4, wav, mp3, glb
    mime_type: str
    size_bytes: int
    duration: float | None = None  # seconds (video, audio)
    width: int | None = None  # pixels (images, video)
    height: int | None = None


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Identify and measure the file at `path` from its bytes (the extension is ignored).

    Raises UnsupportedMedia for unknown, corrupt or truncated content, and OSError only when the
    path itself cannot be read (missing, permission denied).
    """
    path = Path(path)
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UnsupportedMedia(f"{path.name}: not a regular file")
    size = info.st_size
    if size == 0:
        raise UnsupportedMedia(f"{path.name}: empty file")
    with path.open("rb") as fh:
        fmt = sniff(fh)
        if fmt is None:
            raise UnsupportedMedia(f"{path.name}: unrecognised content (no known magic bytes)")
        if fmt == "glb":
            try:
                read_glb_document(fh, size)
            except ValueError as exc:
                raise UnsupportedMedia(f"{path.name}: invalid GLB: {exc}") from None
            return MediaInfo(fmt, MIME_TYPES[fmt], size)
        try:
            check_complete(fh, fmt, size)
        except ValueError as exc:
            raise UnsupportedMedia(f"{path.name}: corrupt {fmt}: {exc}") from None
        if fmt in _PIL_FORMATS:
            width, height = _image_size(fh, path.name, fmt)
            return MediaInfo(fmt, MIME_TYPES[fmt], size, width=width, height=height)
    duration, width, height = _stream_info(path, fmt)
    return MediaInfo(fmt, MIME_TYPES[fmt], size, duration=duration, width=width, height=height)


def _image_size(fh: BinaryIO, name: str, fmt: str) -> tuple[int, int]:
    """Open with only the sniffed decoder, check CRCs/structure, then fully decode (both from
    the already open `fh`, which Pillow leaves open)."""
    formats = [_PIL_FORMATS[fmt]]
    try:
        fh.seek(0)
        with Image.open(fh, formats=formats) as image:
            width, height = image.size
            limit = Image.MAX_IMAGE_PIXELS
            if limit is not None and width * height > limit:  # Pillow only warns below 2x
                raise UnsupportedMedia(f"{name}: {width}x{height} exceeds the pixel limit")
            image.verify()
        fh.seek(0)
        with Image.open(fh, formats=formats) as image:
            image.load()
    except UnsupportedMedia:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise UnsupportedMedia(f"{name}: corrupt {fmt} image: {exc}") from None
    if width < 1 or height < 1:
        raise UnsupportedMedia(f"{name}: image has no pixels")
    return width, height


def _stream_info(path: Path, fmt: str) -> tuple[float, int | None, int | None]:
    try:
        with av.open(str(path), "r", format=_DEMUXERS[fmt]) as container:
            return _measure(container, fmt, path.name)
    except UnsupportedMedia:
        raise
    except Exception as exc:  # FFmpeg errors, and anything PyAV raises on hostile input
        raise UnsupportedMedia(f"{path.name}: corrupt {fmt}: {exc}") from None


def _measure(
    container: av.container.InputContainer, fmt: str, name: str
) -> tuple[float, int | None, int | None]:
    streams = container.streams.video if fmt == "mp4" else container.streams.audio
    if not streams:
        kind = "video" if fmt == "mp4" else "audio"
        raise UnsupportedMedia(f"{name}: {fmt} without an {kind} stream")
    stream = streams[0]
    declared = None
    if stream.duration is not None and stream.time_base is not None:
        declared = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        declared = container.duration / av.time_base

    # Demux the whole stream (reading every packet proves the data is there) and decode the
    # first packets (proving it is real media).
    first = last = None
    decoded = False
    packets = 0
    for count, packet in enumerate(container.demux(stream)):
        if packet.size == 0:
            continue
        # (A WAV of unknown length ends on a short read that FFmpeg flags: not corruption.)
        if packet.is_corrupt and fmt != "wav":
            raise UnsupportedMedia(f"{name}: corrupt or truncated {fmt} packet")
        packets += 1
        if packet.pts is not None:
            end = packet.pts + (packet.duration or 0)
            first = packet.pts if first is None else min(first, packet.pts)
            last = end if last is None else max(last, end)
        if not decoded and count < _DECODE_PACKETS:
            decoded = bool(stream.codec_context.decode(packet))
    if not decoded:
        raise UnsupportedMedia(f"{name}: no decodable {fmt} data")
    if stream.frames and packets < stream.frames:  # MP4 sample tables count every frame
        raise UnsupportedMedia(f"{name}: truncated: {packets} of {stream.frames} frames present")
    measured = None
    if first is not None and last is not None and stream.time_base is not None:
        measured = float((last - first) * stream.time_base)
    if declared is None or declared <= 0:
        declared = measured
    elif measured is not None and measured < declared - max(_TRUNCATION_SLACK, 0.02 * declared):
        raise UnsupportedMedia(
            f"{name}: truncated: declares {declared:.3f}s but holds {measured:.3f}s of data"
        )
    if declared is None or declared <= 0:
        raise UnsupportedMedia(f"{name}: cannot determine the duration")
    if fmt != "mp4":
        return declared, None, None
    width, height = stream.codec_context.width, stream.codec_context.height
    if width < 1 or height < 1:
        raise UnsupportedMedia(f"{name}: video stream has no dimensions")
    return declared, width, height
