"""probe(): measures every rendered format from its bytes; rejects garbage and truncation."""

from __future__ import annotations

import json
import os
import random
import struct
from pathlib import Path

import pytest
from media_support import SMALL_JOBS, render_small

from mediagate.media import MIME_TYPES, UnsupportedMedia, probe

EXPECTED = {  # job -> (format, duration, width, height)
    "png": ("png", None, 96, 64),
    "jpeg": ("jpg", None, 96, 64),
    "webp": ("webp", None, 96, 64),
    "mp4": ("mp4", 1.0, 64, 48),
    "speech-wav": ("wav", 1.5, None, None),
    "speech-mp3": ("mp3", 1.5, None, None),
    "music-wav": ("wav", 1.5, None, None),
    "music-mp3": ("mp3", 1.5, None, None),
    "glb": ("glb", None, None, None),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = {}
    for name in SMALL_JOBS:
        directory = tmp_path_factory.mktemp(name)
        out[name] = render_small(name, directory, prompt="probe me").read_bytes()
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_measures_each_format_whatever_the_name(
    tmp_path: Path, rendered: dict[str, bytes], name: str
) -> None:
    path = tmp_path / "no-extension.bin"
    path.write_bytes(rendered[name])
    info = probe(path)
    fmt, duration, width, height = EXPECTED[name]
    assert info.format == fmt
    assert info.mime_type == MIME_TYPES[fmt]
    assert info.size_bytes == len(rendered[name])
    assert (info.width, info.height) == (width, height)
    if duration is None:
        assert info.duration is None
    else:
        assert info.duration == pytest.approx(duration, abs=0.02)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("keep", [0.02, 0.5, 0.9, -16, -4, -1])
def test_truncated_files_are_rejected(
    tmp_path: Path, rendered: dict[str, bytes], name: str, keep: float
) -> None:
    data = rendered[name]
    cut = int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    path = tmp_path / "cut"
    path.write_bytes(data[:cut])
    with pytest.raises(UnsupportedMedia):
        probe(path)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world\n" * 50,
        random.Random(1).randbytes(5000),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,
        b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 100,
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100,
        b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100,
        b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64" + b"\x00" * 400,
        b"\xff\xfb\x90\x64" + b"\x00" * 1000,
        b"glTF\x02\x00\x00\x00\x14\x00\x00\x00" + b"\x00" * 8,
    ],
    ids=["empty", "text", "random", "png", "jpeg", "webp", "wav", "mp4", "id3", "mp3", "glb"],
)
def test_garbage_is_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(data)
    with pytest.raises(UnsupportedMedia):
        probe(path)


def _glb(document: object, binary: bytes = b"", version: int = 2) -> bytes:
    body = json.dumps(document).encode()
    body += b" " * (-len(body) % 4)
    chunks = struct.pack("<II", len(body), 0x4E4F534A) + body
    if binary:
        chunks += struct.pack("<II", len(binary), 0x004E4942) + binary
    return struct.pack("<4sII", b"glTF", version, 12 + len(chunks)) + chunks


@pytest.mark.parametrize(
    "data",
    [
        _glb({"asset": {"version": "2.0"}}, version=1),
        _glb({"asset": {"version": "1.0"}}),
        _glb([1, 2, 3]),
        _glb({"asset": {"version": "2.0"}, "buffers": [{"byteLength": 64}]}, b"\x00" * 16),
        _glb({"asset": {"version": "2.0"}, "buffers": [{"byteLength": 4}]}),
    ],
    ids=["version", "asset-version", "not-object", "buffer-too-long", "no-bin"],
)
def test_invalid_glb_is_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.glb"
    path.write_bytes(data)
    with pytest.raises(UnsupportedMedia):
        probe(path)


def test_streaming_wav_without_sizes_is_measured(tmp_path: Path, rendered: dict) -> None:
    """Writers that cannot seek leave 0xFFFFFFFF in place of the sizes; FFmpeg reads to EOF."""
    data = bytearray(rendered["speech-wav"])
    data[4:8] = b"\xff\xff\xff\xff"
    at = data.index(b"data")
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"
    path = tmp_path / "s.wav"
    path.write_bytes(bytes(data))
    assert probe(path).duration == pytest.approx(1.5, abs=0.02)


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        probe(tmp_path)
    with pytest.raises(OSError):
        probe(tmp_path / "missing")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(UnsupportedMedia):
            probe(tmp_path / "fifo")
