"""3D models: one prompt-seeded blob mesh with a prompt-coloured PBR material, as GLB."""

from __future__ import annotations

import sys
from array import array
from typing import Any

from ..glb import pack_glb
from .control import Control, PathLike, ProgressFn, StopFn, atomic_output, rng_for
from .mesh import deform, icosphere, vertex_normals
from .palette import palette, srgb_to_linear

_SUBDIVISIONS = 4  # 2562 vertices, 5120 triangles
_FLOAT, _USHORT, _UINT = 5126, 5123, 5125  # glTF componentType
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_TRIANGLES = 4


def render_glb(
    path: PathLike,
    *,
    prompt: str,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> None:
    """Write a binary glTF 2.0 file with one smooth-shaded mesh derived from `prompt`."""
    control = Control(progress, should_stop)
    control.check()
    control.report(0.0)
    rng = rng_for("model3d", prompt)
    color = srgb_to_linear(palette(rng, 1)[0])
    metallic, roughness = rng.choice((0.0, 0.0, 0.3, 0.9)), rng.uniform(0.25, 0.85)
    verts, faces = icosphere(_SUBDIVISIONS)
    verts = deform(rng, verts)
    control.check()
    normals = vertex_normals(verts, faces)
    control.report(0.5)
    control.check()

    positions = array("f", [c for v in verts for c in v])
    normal_data = array("f", [c for n in normals for c in n])
    index_type = "H" if len(verts) <= 0xFFFF else "I"
    indices = array(index_type, [i for f in faces for i in f])
    # glTF requires min/max to be the exact float32 values stored in the buffer.
    lo = [min(positions[axis::3]) for axis in range(3)]
    hi = [max(positions[axis::3]) for axis in range(3)]
    views = [_le_bytes(positions), _le_bytes(normal_data), _le_bytes(indices)]
    binary, offsets = _concat_aligned(views)
    document: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "mediagate local renderer"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "blob"}],
        "meshes": [{
            "name": "blob",
            "primitives": [{
                "attributes": {"POSITION": 0, "NORMAL": 1},
                "indices": 2,
                "material": 0,
                "mode": _TRIANGLES,
            }],
        }],
        "materials": [{
            "name": "prompt",
            "pbrMetallicRoughness": {
                "baseColorFactor": [round(c, 6) for c in color] + [1.0],
                "metallicFactor": metallic,
                "roughnessFactor": round(roughness, 4),
            },
        }],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": offsets[0], "byteLength": len(views[0]),
             "target": _ARRAY_BUFFER},
            {"buffer": 0, "byteOffset": offsets[1], "byteLength": len(views[1]),
             "target": _ARRAY_BUFFER},
            {"buffer": 0, "byteOffset": offsets[2], "byteLength": len(views[2]),
             "target": _ELEMENT_ARRAY_BUFFER},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": _FLOAT, "count": len(verts), "type": "VEC3",
             "min": lo, "max": hi},
            {"bufferView": 1, "componentType": _FLOAT, "count": len(verts), "type": "VEC3"},
            {"bufferView": 2, "componentType": _USHORT if index_type == "H" else _UINT,
             "count": len(indices), "type": "SCALAR"},
        ],
    }  # fmt: skip
    data = pack_glb(document, binary)
    control.check()
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    control.finish()


def _le_bytes(values: array) -> bytes:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _concat_aligned(parts: list[bytes]) -> tuple[bytes, list[int]]:
    """Concatenate with each part starting on a 4-byte boundary; return data and offsets."""
    out = bytearray()
    offsets = []
    for part in parts:
        out += b"\x00" * (-len(out) % 4)
        offsets.append(len(out))
        out += part
    return bytes(out), offsets
