"""Container-level truncation checks: does the file hold every byte its headers declare?

FFmpeg happily demuxes a truncated WAV, MP4 or MP3 and reports a shorter (or the declared)
duration, and Pillow decodes a PNG or JPEG whose end marker is cut off, so these formats are
checked here from their own length fields and end markers before decoding.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from .sniff import id3v2_length, is_mp3_frame_header

_MAX_BOXES = 100_000
_MAX_RIFF_CHUNKS = 1024
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # streaming WAV writers put these in place of a length
_XING_FRAMES, _XING_BYTES = 0x1, 0x2
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk, CRC included
_JPEG_END = b"\xff\xd9"
_TAIL = 64 * 1024  # trailing bytes searched for an end marker (writers may append data)


def check_complete(fh: BinaryIO, fmt: str, size: int) -> None:
    """Raise ValueError if a file lacks data its headers declare, or its end marker."""
    if fmt == "png":
        _check_tail(fh, size, _PNG_END, "IEND chunk")
    elif fmt == "jpg":
        _check_tail(fh, size, _JPEG_END, "end-of-image marker")
    elif fmt == "wav":
        _check_wav(fh, size)
    elif fmt == "mp4":
        _check_mp4(fh, size)
    elif fmt == "mp3":
        _check_mp3(fh, size)


def _check_tail(fh: BinaryIO, size: int, marker: bytes, what: str) -> None:
    fh.seek(max(0, size - _TAIL))
    if marker not in fh.read(_TAIL):
        raise ValueError(f"truncated: no {what}")


def _check_wav(fh: BinaryIO, size: int) -> None:
    fh.seek(0)
    if fh.read(4) != b"RIFF":  # RF64 keeps its sizes in a ds64 chunk: left to FFmpeg
        return
    offset = 12
    for _ in range(_MAX_RIFF_CHUNKS):
        fh.seek(offset)
        raw = fh.read(8)
        if len(raw) < 8:
            raise ValueError("WAV has no data chunk")
        chunk_id, chunk_len = struct.unpack("<4sI", raw)
        if chunk_id == b"data":
            if chunk_len not in _UNKNOWN_SIZES and offset + 8 + chunk_len > size:
                raise ValueError(
                    f"truncated: the data chunk declares {chunk_len} bytes, "
                    f"the file holds {max(0, size - offset - 8)}"
                )
            return
        offset += 8 + chunk_len + (chunk_len & 1)
    raise ValueError("too many WAV chunks before the data chunk")


def _check_mp4(fh: BinaryIO, size: int) -> None:
    """Walk the top-level boxes: each must end inside the file."""
    offset = 0
    for _ in range(_MAX_BOXES):
        if offset == size:
            return
        fh.seek(offset)
        raw = fh.read(16)
        if len(raw) < 8:
            raise ValueError("truncated: a box header is cut off")
        box_len, box_type = struct.unpack(">I4s", raw[:8])
        if box_len == 1:  # 64-bit size follows the type
            if len(raw) < 16:
                raise ValueError("truncated: a box header is cut off")
            (box_len,) = struct.unpack(">Q", raw[8:16])
        elif box_len == 0:  # the box runs to the end of the file
            return
        if box_len < 8:
            raise ValueError(f"invalid size {box_len} of box {box_type!r}")
        if offset + box_len > size:
            raise ValueError(
                f"truncated: box {box_type.decode('latin-1')!r} declares {box_len} bytes, "
                f"the file holds {size - offset}"
            )
        offset += box_len
    raise ValueError("too many top-level boxes")


def _check_mp3(fh: BinaryIO, size: int) -> None:
    """Compare the byte count of a Xing/Info header (if the first frame has one) with the file."""
    fh.seek(0)
    start = id3v2_length(fh.read(10))
    if start is None:
        return
    fh.seek(start)
    header = fh.read(4)
    if not is_mp3_frame_header(header):
        return
    mpeg1 = (header[1] >> 3) & 0b11 == 0b11
    mono = (header[3] >> 6) == 0b11
    crc = 0 if header[1] & 1 else 2
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    fh.seek(start + 4 + crc + side_info)
    tag = fh.read(16)
    if len(tag) < 16 or tag[:4] not in (b"Xing", b"Info"):
        return
    (flags,) = struct.unpack(">I", tag[4:8])
    fields = tag[8:16]
    if not flags & _XING_FRAMES:
        fields = fields[:4]  # the byte count, if any, comes first
    if flags & _XING_BYTES:
        (declared,) = struct.unpack(">I", fields[-4:])
        if declared > size - start:
            raise ValueError(
                f"truncated: the Xing header declares {declared} bytes of audio, "
                f"the file holds {size - start}"
            )
