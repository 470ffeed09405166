"""Prompt-seeded colour palettes shared by the image, video and 3D renderers."""

from __future__ import annotations

import colorsys
import random

RGB = tuple[int, int, int]


def palette(rng: random.Random, count: int = 5) -> list[RGB]:
    """`count` harmonious colours: a base hue plus analogous/complementary/triadic offsets."""
    base = rng.random()
    spacing = rng.choice((0.06, 0.1, 0.33, 0.5, 0.42))
    colors: list[RGB] = []
    for i in range(count):
        hue = (base + spacing * i * rng.choice((-1, 1)) + rng.uniform(-0.03, 0.03)) % 1.0
        sat = rng.uniform(0.45, 0.95)
        val = rng.uniform(0.35, 1.0)
        r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
        colors.append((round(r * 255), round(g * 255), round(b * 255)))
    return colors


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def srgb_to_linear(color: RGB) -> tuple[float, float, float]:
    """sRGB bytes to linear floats (glTF colour factors are linear)."""

    def channel(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    return (channel(color[0]), channel(color[1]), channel(color[2]))
