"""The image renderer: real PNG/JPEG/WebP files at the requested size, seeded by the prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_support import decode_image, files_in

from mediagate.media import render_image

FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize(("width", "height"), [(16, 16), (200, 120), (97, 331)])
def test_image_has_the_requested_format_and_size(
    tmp_path: Path, fmt: str, width: int, height: int
) -> None:
    path = tmp_path / "image"
    render_image(path, prompt="a red fox in the snow", width=width, height=height, fmt=fmt)
    detected, image = decode_image(path)
    assert detected == FORMATS[fmt]
    assert image.size == (width, height)
    assert image.mode == "RGB"
    assert files_in(tmp_path) == ["image"]  # no temporary file left


def test_same_prompt_same_bytes_other_prompt_other_picture(tmp_path: Path) -> None:
    def render(name: str, prompt: str) -> bytes:
        render_image(tmp_path / name, prompt=prompt, width=128, height=96, fmt="png")
        return (tmp_path / name).read_bytes()

    first, again = render("a.png", "a lighthouse at dusk"), render("b.png", "a lighthouse at dusk")
    other = render("c.png", "a lighthouse at dawn")
    assert first == again
    pixels = decode_image(tmp_path / "a.png")[1], decode_image(tmp_path / "c.png")[1]
    assert pixels[0].tobytes() != pixels[1].tobytes()
    assert first != other


def test_picture_is_not_flat(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    render_image(path, prompt="colours", width=128, height=128, fmt="png")
    colours = decode_image(path)[1].getcolors(maxcolors=128 * 128)
    assert colours is not None and len(colours) > 500


@pytest.mark.parametrize(
    "kwargs",
    [
        {"width": 0, "height": 10, "fmt": "png"},
        {"width": 10, "height": 10, "fmt": "gif"},
        {"width": 10.5, "height": 10, "fmt": "png"},
        {"width": True, "height": 10, "fmt": "png"},
    ],
)
def test_bad_parameters_are_value_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        render_image(tmp_path / "x", prompt="p", **kwargs)
    assert files_in(tmp_path) == []
