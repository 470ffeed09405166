"""3D previews: the GLB's triangles in an orthographic three-quarter view, flat-shaded and
painted back to front with Pillow (no textures)."""

from __future__ import annotations

import math
import mmap
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from ..glb import read_glb

SIDE = 640  # drawn at twice the thumbnail's size, then downscaled (smooth edges)
BACKGROUND = (24, 26, 32)
_MARGIN = 0.06
_YAW, _PITCH = math.radians(35), math.radians(25)
_LIGHT = (-0.42, 0.56, 0.71)  # towards the light, in view space (upper left, front)
_AMBIENT = 0.3
_MAX_VERTICES = 2_000_000
_MAX_TRIANGLES = 200_000  # more are thinned out evenly
_TRIANGLES = 4
_COMPONENTS = {"SCALAR": 1, "VEC3": 3}
_TYPES = {5121: "B", 5123: "H", 5125: "I", 5126: "f"}  # glTF componentType -> struct code

Vec = tuple[float, float, float]
Matrix = tuple[float, ...]  # 4x4, column-major (as glTF writes it)
_IDENTITY: Matrix = (1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)


def model_view(path: Path, _fmt: str, _duration: float | None) -> Image.Image:
    """A SIDE x SIDE picture of the model's triangles (in the materials' base colours)."""
    with path.open("rb") as fh:
        document, where = read_glb(fh, path.stat().st_size)
        if where is None or where[1] == 0:
            raise ValueError("the GLB has no binary buffer")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            triangles = list(_Scene(document, data, *where).triangles())
    if not triangles:
        raise ValueError("the GLB has no triangle mesh to draw")
    if len(triangles) > _MAX_TRIANGLES:
        triangles = triangles[:: math.ceil(len(triangles) / _MAX_TRIANGLES)]
    return _paint(triangles)


class _Scene:
    """The triangles of a glTF document's default scene, in world coordinates."""

    def __init__(self, document: dict[str, Any], data: mmap.mmap, start: int, size: int) -> None:
        self.doc = document
        self.data = data  # the whole file; the BIN chunk is `size` bytes from `start`
        self.start = start
        self.size = size
        self.vertices = 0

    def triangles(self) -> Iterator[tuple[Vec, Vec, Vec, Vec]]:
        nodes = self.doc.get("nodes") or []
        scenes = self.doc.get("scenes") or []
        if scenes:
            roots = scenes[self.doc.get("scene", 0)].get("nodes") or []
        else:
            children = {c for node in nodes for c in node.get("children") or []}
            roots = [i for i in range(len(nodes)) if i not in children]
        seen: set[int] = set()
        stack = [(index, _IDENTITY) for index in roots]
        while stack:
            index, parent = stack.pop()
            if index in seen:  # a cycle, or a node shared twice: draw it once
                continue
            seen.add(index)
            node = nodes[index]
            world = _multiply(parent, _local(node))
            stack += [(child, world) for child in node.get("children") or []]
            if "mesh" in node:
                yield from self._mesh(self.doc["meshes"][node["mesh"]], world)

    def _mesh(self, mesh: dict[str, Any], world: Matrix) -> Iterator[tuple[Vec, Vec, Vec, Vec]]:
        materials = self.doc.get("materials") or []
        for primitive in mesh.get("primitives") or []:
            if primitive.get("mode", _TRIANGLES) != _TRIANGLES:
                continue
            positions = [_apply(world, p) for p in self._read(primitive["attributes"]["POSITION"])]
            if "indices" in primitive:
                indices = [i for (i,) in self._read(primitive["indices"])]
            else:
                indices = list(range(len(positions)))
            material = primitive.get("material")
            color = _base_color(materials[material] if material is not None else {})
            for t in range(0, len(indices) - 2, 3):
                a, b, c = indices[t], indices[t + 1], indices[t + 2]
                yield positions[a], positions[b], positions[c], color

    def _read(self, index: int) -> list[tuple[Any, ...]]:
        """An accessor's elements (floats for VEC3 positions, integers for indices)."""
        accessor = self.doc["accessors"][index]
        if "sparse" in accessor or "bufferView" not in accessor:
            raise ValueError("sparse or buffer-less accessors are not drawn")
        view = self.doc["bufferViews"][accessor["bufferView"]]
        if view.get("buffer", 0) != 0 or "uri" in self.doc["buffers"][0]:
            raise ValueError("only the GLB's own binary buffer is read")
        code = _TYPES[accessor["componentType"]]
        element = struct.Struct("<" + code * _COMPONENTS[accessor["type"]])
        count = accessor["count"]
        self.vertices += count
        if self.vertices > _MAX_VERTICES:
            raise ValueError(f"more than {_MAX_VERTICES} vertices")
        offset = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
        stride = view.get("byteStride") or element.size
        if offset < 0 or (count and offset + (count - 1) * stride + element.size > self.size):
            raise ValueError("an accessor runs past its buffer")
        offset += self.start
        if stride == element.size:
            return list(element.iter_unpack(self.data[offset : offset + count * stride]))
        return [element.unpack_from(self.data, offset + i * stride) for i in range(count)]


def _paint(triangles: list[tuple[Vec, Vec, Vec, Vec]]) -> Image.Image:
    cy, sy, cp, sp = math.cos(_YAW), math.sin(_YAW), math.cos(_PITCH), math.sin(_PITCH)

    def view(p: Vec) -> Vec:  # turn about Y, then tilt about X; +z points at the viewer
        x, z = p[0] * cy + p[2] * sy, -p[0] * sy + p[2] * cy
        return x, p[1] * cp - z * sp, p[1] * sp + z * cp

    faces = [(view(a), view(b), view(c), color) for a, b, c, color in triangles]
    xs = [p[0] for face in faces for p in face[:3]]
    ys = [p[1] for face in faces for p in face[:3]]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = SIDE * (1 - 2 * _MARGIN) / span
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    faces.sort(key=lambda f: f[0][2] + f[1][2] + f[2][2])  # far first
    picture = Image.new("RGB", (SIDE, SIDE), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    for a, b, c, color in faces:
        shade = _AMBIENT + (1 - _AMBIENT) * _lit(a, b, c)
        fill = tuple(min(255, round(channel * shade)) for channel in color)
        points = [
            (SIDE / 2 + (p[0] - mid_x) * scale, SIDE / 2 - (p[1] - mid_y) * scale)
            for p in (a, b, c)
        ]
        draw.polygon(points, fill=fill)
    return picture


def _lit(a: Vec, b: Vec, c: Vec) -> float:
    """How much light the face gets (its normal turned towards the viewer)."""
    ux, uy, uz = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    vx, vy, vz = c[0] - a[0], c[1] - a[1], c[2] - a[2]
    nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
    length = math.sqrt(nx * nx + ny * ny + nz * nz)
    if length == 0:
        return 0.0
    if nz < 0:
        nx, ny, nz = -nx, -ny, -nz
    return max(0.0, (nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2]) / length)


def _base_color(material: dict[str, Any]) -> Vec:
    """The material's base colour factor (linear) as sRGB 0-255; light grey without one."""
    factor = (material.get("pbrMetallicRoughness") or {}).get("baseColorFactor")
    if not factor:
        return (200.0, 200.0, 200.0)
    return tuple(255 * max(0.0, min(1.0, float(c))) ** (1 / 2.2) for c in factor[:3])  # type: ignore[return-value]


def _local(node: dict[str, Any]) -> Matrix:
    if "matrix" in node:
        return tuple(float(v) for v in node["matrix"])
    tx, ty, tz = node.get("translation", (0, 0, 0))
    qx, qy, qz, qw = node.get("rotation", (0, 0, 0, 1))
    sx, sy, sz = node.get("scale", (1, 1, 1))
    return (
        (1 - 2 * (qy * qy + qz * qz)) * sx, 2 * (qx * qy + qz * qw) * sx,
        2 * (qx * qz - qy * qw) * sx, 0,
        2 * (qx * qy - qz * qw) * sy, (1 - 2 * (qx * qx + qz * qz)) * sy,
        2 * (qy * qz + qx * qw) * sy, 0,
        2 * (qx * qz + qy * qw) * sz, 2 * (qy * qz - qx * qw) * sz,
        (1 - 2 * (qx * qx + qy * qy)) * sz, 0,
        tx, ty, tz, 1,
    )  # fmt: skip


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    return tuple(
        sum(a[k * 4 + row] * b[col * 4 + k] for k in range(4))
        for col in range(4)
        for row in range(4)
    )


def _apply(m: Matrix, p: tuple[Any, ...]) -> Vec:
    x, y, z = p
    return (
        m[0] * x + m[4] * y + m[8] * z + m[12],
        m[1] * x + m[5] * y + m[9] * z + m[13],
        m[2] * x + m[6] * y + m[10] * z + m[14],
    )
