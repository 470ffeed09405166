"""Smooth prompt-seeded colour fields: computed on a small grid, then upscaled."""

from __future__ import annotations

import math
import random

from PIL import Image

from .palette import RGB, mix

_GRID = 48


def backdrop(rng: random.Random, colors: list[RGB], width: int, height: int) -> Image.Image:
    """An RGB image of a smooth blend of three palette colours (waves plus a radial glow)."""
    gw = _GRID
    gh = max(2, min(_GRID * 4, round(_GRID * height / width)))
    c0, c1, c2 = colors[0], colors[1], colors[2]
    fx, fy = rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)
    phase = rng.uniform(0, math.tau)
    cx, cy = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)
    radius = rng.uniform(0.35, 0.9)
    glow = rng.uniform(0.35, 0.8)
    pixels: list[RGB] = []
    for j in range(gh):
        v = j / (gh - 1)
        for i in range(gw):
            u = i / (gw - 1)
            wave = 0.5 + 0.5 * math.sin(math.tau * (fx * u + fy * v) + phase)
            dist = min(1.0, math.hypot(u - cx, v - cy) / radius)
            pixels.append(mix(mix(c0, c1, wave), c2, (1.0 - dist) * glow))
    small = Image.new("RGB", (gw, gh))
    small.putdata(pixels)
    return small.resize((width, height), Image.Resampling.BICUBIC)
