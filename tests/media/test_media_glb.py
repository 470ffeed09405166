"""The 3D renderer: a valid binary glTF 2.0 with one mesh, seeded by the prompt."""

from __future__ import annotations

import math
import struct
from pathlib import Path

from media_support import parse_glb

from mediagate.media import probe, render_glb

_FLOAT, _USHORT, _UINT = 5126, 5123, 5125
_SIZES = {_FLOAT: 4, _USHORT: 2, _UINT: 4}
_COMPONENTS = {"SCALAR": 1, "VEC3": 3}


def test_glb_layout_and_mesh(tmp_path: Path) -> None:
    path = tmp_path / "m.glb"
    render_glb(path, prompt="a mossy rock")
    document, binary = parse_glb(path.read_bytes())
    assert document["asset"]["version"] == "2.0"
    (buffer,) = document["buffers"]
    assert "uri" not in buffer
    assert buffer["byteLength"] <= len(binary) < buffer["byteLength"] + 4
    primitive = document["meshes"][0]["primitives"][0]
    assert primitive.get("mode", 4) == 4  # triangles
    accessors, views = document["accessors"], document["bufferViews"]
    for accessor in accessors:
        view = views[accessor["bufferView"]]
        need = accessor["count"] * _COMPONENTS[accessor["type"]]
        need *= _SIZES[accessor["componentType"]]
        assert view.get("byteOffset", 0) % 4 == 0
        assert need <= view["byteLength"]
        assert view.get("byteOffset", 0) + view["byteLength"] <= buffer["byteLength"]

    position = accessors[primitive["attributes"]["POSITION"]]
    assert (position["type"], position["componentType"]) == ("VEC3", _FLOAT)
    view = views[position["bufferView"]]
    count = position["count"]
    coords = struct.unpack_from(f"<{3 * count}f", binary, view.get("byteOffset", 0))
    assert all(math.isfinite(c) for c in coords)
    for axis in range(3):
        values = coords[axis::3]
        assert position["min"][axis] == min(values)
        assert position["max"][axis] == max(values)
        assert max(values) - min(values) > 0.5  # a solid, not a point

    indices = accessors[primitive["indices"]]
    assert indices["count"] % 3 == 0
    fmt = "H" if indices["componentType"] == _USHORT else "I"
    ivew = views[indices["bufferView"]]
    index_values = struct.unpack_from(f"<{indices['count']}{fmt}", binary, ivew["byteOffset"])
    assert max(index_values) < count
    assert len(set(index_values)) == count  # every vertex is used

    normals = accessors[primitive["attributes"]["NORMAL"]]
    assert normals["count"] == count
    info = probe(path)
    assert (info.format, info.mime_type, info.size_bytes) == (
        "glb",
        "model/gltf-binary",
        path.stat().st_size,
    )


def test_same_prompt_same_bytes_other_prompt_other_shape(tmp_path: Path) -> None:
    for name, prompt in (("a", "a teapot"), ("b", "a teapot"), ("c", "a kettle")):
        render_glb(tmp_path / f"{name}.glb", prompt=prompt)
    a, b, c = ((tmp_path / f"{n}.glb").read_bytes() for n in "abc")
    assert a == b
    assert parse_glb(a)[1] != parse_glb(c)[1]
