"""Content sniffing: identify a media format from its leading bytes, never from a file name."""

from __future__ import annotations

from typing import BinaryIO

SNIFF_BYTES = 64
# MPEG audio frame header fields that are never valid.
_MPEG_RESERVED_VERSION = 0b01
_LAYER_III = 0b01


def sniff(fh: BinaryIO) -> str | None:
    """The format suggested by the magic bytes (png, jpg, webp, wav, mp4, mp3, glb) or None.

    Reads at most SNIFF_BYTES from the start, plus 4 bytes after an ID3v2 tag.
    """
    fh.seek(0)
    head = fh.read(SNIFF_BYTES)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"glTF"):
        return "glb"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"ID3") and len(head) >= 10:
        return "mp3" if _mpeg_audio_after_id3(fh, head) else None
    if is_mp3_frame_header(head[:4]):
        return "mp3"
    return None


def id3v2_length(head: bytes) -> int | None:
    """Bytes taken by the ID3v2 tag at the start of `head` (0 if none; None if malformed)."""
    if not head.startswith(b"ID3"):
        return 0
    size_bytes = head[6:10]
    if len(size_bytes) < 4 or any(b & 0x80 for b in size_bytes):  # "syncsafe": 7 bits per byte
        return None
    size = 0
    for b in size_bytes:
        size = (size << 7) | b
    return size + 10 + (10 if head[5] & 0x10 else 0)  # header (+ footer)


def _mpeg_audio_after_id3(fh: BinaryIO, head: bytes) -> bool:
    size = id3v2_length(head)
    if size is None:
        return False
    fh.seek(size)
    return is_mp3_frame_header(fh.read(4))


def is_mp3_frame_header(header: bytes) -> bool:
    """A plausible MPEG audio Layer III frame header (sync, no reserved field values)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version = (header[1] >> 3) & 0b11
    layer = (header[1] >> 1) & 0b11
    bitrate = header[2] >> 4
    rate = (header[2] >> 2) & 0b11
    return (
        version != _MPEG_RESERVED_VERSION
        and layer == _LAYER_III
        and bitrate not in (0, 15)
        and rate != 3
    )
