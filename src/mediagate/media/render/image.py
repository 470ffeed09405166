"""Still images: a prompt-seeded backdrop with layered translucent shapes and soft glows."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFilter

from .backdrop import backdrop
from .control import Control, PathLike, ProgressFn, StopFn, atomic_output, require_size, rng_for
from .palette import RGB, palette

MAX_SIDE = 8192
# Format name -> (Pillow format, save options).
_FORMATS: dict[str, tuple[str, dict[str, object]]] = {
    "png": ("PNG", {"compress_level": 6}),
    "jpeg": ("JPEG", {"quality": 90, "optimize": False}),
    "webp": ("WEBP", {"quality": 85, "method": 4}),
}
_ALIASES = {"jpg": "jpeg"}
_GLOW_GRID = 256


def render_image(
    path: PathLike,
    *,
    prompt: str,
    width: int,
    height: int,
    fmt: str,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> None:
    """Write a deterministic picture derived from `prompt` as PNG, JPEG ("jpg" too) or WebP."""
    fmt = _ALIASES.get(fmt, fmt)
    if fmt not in _FORMATS:
        raise ValueError(f"unsupported image format {fmt!r}; expected one of {sorted(_FORMATS)}")
    require_size("width", width, low=1, high=MAX_SIDE)
    require_size("height", height, low=1, high=MAX_SIDE)
    control = Control(progress, should_stop)
    control.check()
    control.report(0.0)

    rng = rng_for("image", prompt)
    colors = palette(rng)
    image = backdrop(rng, colors, width, height)
    control.report(0.2)
    control.check()
    image = _glows(image, rng, colors)
    control.report(0.5)
    control.check()
    _shapes(image, rng, colors)
    control.report(0.9)
    control.check()

    pil_format, options = _FORMATS[fmt]
    with atomic_output(path) as tmp:
        image.save(tmp, format=pil_format, **options)
    control.finish()


def _glows(image: Image.Image, rng: random.Random, colors: list[RGB]) -> Image.Image:
    """Blurred translucent discs composited over the backdrop."""
    w, h = image.size
    base = image.convert("RGBA")
    for _ in range(rng.randint(1, 3)):
        color = rng.choice(colors)
        r = min(w, h) * rng.uniform(0.12, 0.4)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        alpha = rng.randint(110, 200)
        _glow(base, color, alpha, (cx, cy), r, blur=max(1.0, r * 0.35))
    return base.convert("RGB")


def _glow(
    base: Image.Image, color: RGB, alpha: int, center: tuple[float, float], r: float, blur: float
) -> None:
    """Composite one blurred disc into `base` in place.

    The disc's mask is drawn and blurred at most _GLOW_GRID pixels across, then upscaled: a
    blurred disc is smooth, so this looks the same and keeps large images fast.
    """
    w, h = base.size
    cx, cy = center
    reach = r + 3 * blur  # the Gaussian is negligible beyond 3 sigma
    x0, y0 = max(0, math.floor(cx - reach)), max(0, math.floor(cy - reach))
    x1, y1 = min(w, math.ceil(cx + reach)), min(h, math.ceil(cy + reach))
    if x1 <= x0 or y1 <= y0:
        return
    scale = min(1.0, _GLOW_GRID / max(x1 - x0, y1 - y0))
    sw, sh = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    mask = Image.new("L", (sw, sh), 0)
    sx, sy, sr = (cx - x0) * scale, (cy - y0) * scale, r * scale
    ImageDraw.Draw(mask).ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=alpha)
    mask = mask.filter(ImageFilter.GaussianBlur(max(0.5, blur * scale)))
    if scale < 1.0:
        mask = mask.resize((x1 - x0, y1 - y0), Image.Resampling.BICUBIC)
    layer = Image.new("RGBA", mask.size, (*color, 0))
    layer.putalpha(mask)
    base.alpha_composite(layer, dest=(x0, y0))


def _shapes(image: Image.Image, rng: random.Random, colors: list[RGB]) -> None:
    w, h = image.size
    scale = min(w, h)
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(rng.randint(6, 14)):
        color = (*rng.choice(colors), rng.randint(80, 210))
        cx, cy = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        r = scale * rng.uniform(0.04, 0.3)
        box = (cx - r, cy - r, cx + r, cy + r)
        kind = rng.randrange(5)
        if kind == 0:
            draw.ellipse(box, fill=color)
        elif kind == 1:
            draw.ellipse(box, outline=color, width=max(1, round(r * rng.uniform(0.08, 0.3))))
        elif kind == 2:
            draw.rounded_rectangle(box, radius=r * rng.uniform(0.0, 0.5), fill=color)
        elif kind == 3:
            draw.regular_polygon((cx, cy, r), rng.randint(3, 8), rng.uniform(0, 360), fill=color)
        else:
            angle = rng.uniform(0, math.tau)
            dx, dy = math.cos(angle) * r * 2, math.sin(angle) * r * 2
            line_width = max(1, round(scale * rng.uniform(0.005, 0.03)))
            draw.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=color, width=line_width)
