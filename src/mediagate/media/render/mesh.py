"""Triangle-mesh geometry: subdivided icosphere, prompt-seeded deformation, vertex normals."""

from __future__ import annotations

import math
import random

Vec = tuple[float, float, float]
Tri = tuple[int, int, int]


def icosphere(subdivisions: int) -> tuple[list[Vec], list[Tri]]:
    """Unit icosphere: 10 * 4**n + 2 vertices, 20 * 4**n triangles (counter-clockwise outward)."""
    t = (1 + math.sqrt(5)) / 2
    raw = [
        (-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0),
        (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
        (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1),
    ]  # fmt: skip
    verts = [_unit(v) for v in raw]
    faces: list[Tri] = [
        (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11),
        (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
        (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
        (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
    ]  # fmt: skip
    for _ in range(subdivisions):
        midpoints: dict[tuple[int, int], int] = {}

        def midpoint(a: int, b: int, midpoints: dict[tuple[int, int], int] = midpoints) -> int:
            key = (a, b) if a < b else (b, a)
            index = midpoints.get(key)
            if index is None:
                va, vb = verts[a], verts[b]
                verts.append(_unit(((va[0] + vb[0]) / 2, (va[1] + vb[1]) / 2, (va[2] + vb[2]) / 2)))
                index = midpoints[key] = len(verts) - 1
            return index

        next_faces: list[Tri] = []
        for a, b, c in faces:
            ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
            next_faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = next_faces
    return verts, faces


def deform(rng: random.Random, verts: list[Vec]) -> list[Vec]:
    """Radial bumps from a few random plane waves, then a stretch and a twist about Y."""
    waves = [
        (
            _unit((rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1))),
            rng.uniform(1.5, 5.0),
            rng.uniform(0, math.tau),
            rng.uniform(0.03, 0.18),
        )
        for _ in range(rng.randint(2, 5))
    ]  # (direction, frequency, phase, amplitude)
    scale = (rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.4), rng.uniform(0.7, 1.3))
    twist = rng.uniform(-1.2, 1.2)  # radians per unit height
    out: list[Vec] = []
    for x, y, z in verts:
        r = 1.0
        for (dx, dy, dz), freq, phase, amp in waves:
            r += amp * math.sin(freq * (dx * x + dy * y + dz * z) + phase)
        px, py, pz = x * r * scale[0], y * r * scale[1], z * r * scale[2]
        angle = twist * py
        cos, sin = math.cos(angle), math.sin(angle)
        out.append((px * cos - pz * sin, py, px * sin + pz * cos))
    return out


def vertex_normals(verts: list[Vec], faces: list[Tri]) -> list[Vec]:
    """Area-weighted average of adjacent face normals, normalised."""
    acc = [[0.0, 0.0, 0.0] for _ in verts]
    for a, b, c in faces:
        ax, ay, az = verts[a]
        ux, uy, uz = verts[b][0] - ax, verts[b][1] - ay, verts[b][2] - az
        vx, vy, vz = verts[c][0] - ax, verts[c][1] - ay, verts[c][2] - az
        n = (uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx)
        for i in (a, b, c):
            s = acc[i]
            s[0] += n[0]
            s[1] += n[1]
            s[2] += n[2]
    return [_unit((s[0], s[1], s[2]), fallback=verts[i]) for i, s in enumerate(acc)]


def _unit(v: tuple[float, float, float], fallback: Vec = (0.0, 1.0, 0.0)) -> Vec:
    length = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if length < 1e-12:
        return _unit(fallback) if fallback != v else (0.0, 1.0, 0.0)
    return (v[0] / length, v[1] / length, v[2] / length)
