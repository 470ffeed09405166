"""Binary glTF 2.0 (GLB) container: packing for the 3D renderer, structural checks for the probe."""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

MAGIC = b"glTF"
VERSION = 2
CHUNK_JSON = 0x4E4F534A  # "JSON" little-endian
CHUNK_BIN = 0x004E4942  # "BIN\0" little-endian
HEADER = struct.Struct("<4sII")  # magic, version, total length
CHUNK_HEADER = struct.Struct("<II")  # chunk length, chunk type
MAX_JSON_BYTES = 8 * 1024 * 1024
_MAX_CHUNKS = 64


def pack_glb(document: dict[str, Any], binary: bytes) -> bytes:
    """A GLB file: JSON chunk padded with spaces, BIN chunk (if any) padded with zeros."""
    json_bytes = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    json_bytes += b" " * (-len(json_bytes) % 4)
    chunks = [CHUNK_HEADER.pack(len(json_bytes), CHUNK_JSON), json_bytes]
    if binary:
        bin_bytes = binary + b"\x00" * (-len(binary) % 4)
        chunks += [CHUNK_HEADER.pack(len(bin_bytes), CHUNK_BIN), bin_bytes]
    body = b"".join(chunks)
    return HEADER.pack(MAGIC, VERSION, HEADER.size + len(body)) + body


def read_glb_document(fh: BinaryIO, size: int) -> dict[str, Any]:
    """Check a GLB's header and chunk layout and return its parsed JSON document.

    Reads at most the headers and the JSON chunk (capped at MAX_JSON_BYTES). Raises ValueError
    describing the first problem found.
    """
    return read_glb(fh, size)[0]


def read_glb(fh: BinaryIO, size: int) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """`read_glb_document`, and where the BIN chunk's data is in the file: (offset, length),
    or None when there is no BIN chunk."""
    fh.seek(0)
    head = fh.read(HEADER.size)
    if len(head) < HEADER.size:
        raise ValueError("GLB header is truncated")
    magic, version, length = HEADER.unpack(head)
    if magic != MAGIC:
        raise ValueError("not a GLB file (bad magic)")
    if version != VERSION:
        raise ValueError(f"unsupported GLB version {version}")
    if length != size:
        raise ValueError(f"GLB header declares {length} bytes but the file has {size}")
    chunks: list[tuple[int, int, int]] = []  # (type, offset of data, length)
    offset = HEADER.size
    while offset < size:
        if len(chunks) >= _MAX_CHUNKS:
            raise ValueError("too many GLB chunks")
        fh.seek(offset)
        raw = fh.read(CHUNK_HEADER.size)
        if len(raw) < CHUNK_HEADER.size:
            raise ValueError("GLB chunk header is truncated")
        chunk_len, chunk_type = CHUNK_HEADER.unpack(raw)
        start = offset + CHUNK_HEADER.size
        if start + chunk_len > size:
            raise ValueError("GLB chunk runs past the end of the file")
        chunks.append((chunk_type, start, chunk_len))
        offset = start + chunk_len
    if not chunks or chunks[0][0] != CHUNK_JSON:
        raise ValueError("GLB must start with a JSON chunk")
    _, start, json_len = chunks[0]
    if json_len > MAX_JSON_BYTES:
        raise ValueError(f"GLB JSON chunk is larger than {MAX_JSON_BYTES} bytes")
    fh.seek(start)
    try:
        document = json.loads(fh.read(json_len).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"GLB JSON chunk is not valid JSON: {exc}") from None
    _check_document(document, chunks)
    return document, next(((s, n) for kind, s, n in chunks[1:] if kind == CHUNK_BIN), None)


def _check_document(document: Any, chunks: list[tuple[int, int, int]]) -> None:
    if not isinstance(document, dict):
        raise ValueError("glTF JSON must be an object")
    asset = document.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2."):
        raise ValueError("glTF asset.version must be 2.x")
    buffers = document.get("buffers", [])
    if not isinstance(buffers, list):
        raise ValueError("glTF buffers must be a list")
    bin_len = next((length for kind, _, length in chunks[1:] if kind == CHUNK_BIN), None)
    for index, buffer in enumerate(buffers):
        if not isinstance(buffer, dict) or not isinstance(buffer.get("byteLength"), int):
            raise ValueError(f"glTF buffer {index} lacks an integer byteLength")
        if index == 0 and "uri" not in buffer:
            if bin_len is None:
                raise ValueError("glTF buffer 0 refers to a missing BIN chunk")
            if buffer["byteLength"] > bin_len:
                raise ValueError("glTF buffer 0 is longer than the BIN chunk")
