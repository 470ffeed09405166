"""make_thumbnail(): a small WebP preview of every result format, made from the file itself;
files it cannot preview raise ThumbnailUnavailable and leave nothing behind."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import av
import pytest
from media_support import SMALL_JOBS, render_small
from PIL import Image, ImageChops, ImageStat

from mediagate.media import probe, render_glb, render_image, render_video
from mediagate.media.glb import pack_glb
from mediagate.media.thumbnail import MAX_SIDE, ThumbnailUnavailable, make_thumbnail


def _thumbnail(source: Path, tmp_path: Path) -> Image.Image:
    info = probe(source)
    dest = tmp_path / "thumb.webp"
    size = make_thumbnail(source, info.format, dest, duration=info.duration)
    with Image.open(dest) as picture:
        assert picture.format == "WEBP"
        picture.load()
        assert picture.size == size and max(size) <= MAX_SIDE
        return picture.convert("RGB")


def _spread(picture: Image.Image) -> float:
    """How much the picture varies (0 for a single colour)."""
    return max(ImageStat.Stat(picture).stddev)


@pytest.mark.parametrize("job", sorted(SMALL_JOBS))
def test_every_rendered_format_gets_a_preview(job: str, tmp_path: Path) -> None:
    picture = _thumbnail(render_small(job, tmp_path), tmp_path)
    assert _spread(picture) > 5


def test_an_image_is_downscaled_to_the_limit_keeping_its_aspect(tmp_path: Path) -> None:
    source = tmp_path / "big.png"
    render_image(source, prompt="a red fox", width=1000, height=500, fmt="png")
    picture = _thumbnail(source, tmp_path)
    assert picture.size == (MAX_SIDE, MAX_SIDE // 2)
    with Image.open(source) as original:
        expected = original.convert("RGB").resize(picture.size, Image.Resampling.LANCZOS)
    assert max(ImageStat.Stat(ImageChops.difference(picture, expected)).mean) < 6


def _frames(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def test_a_video_preview_is_its_frame_near_a_tenth_in(tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    render_video(source, prompt="orbits", duration=4.0, width=320, height=180, fps=12)
    picture = _thumbnail(source, tmp_path)
    assert picture.size == (320, 180)
    frames = _frames(source)
    distance = [max(ImageStat.Stat(ImageChops.difference(picture, f)).mean) for f in frames]
    best = distance.index(min(distance))
    assert abs(best - len(frames) // 10) <= 1, (best, len(frames))
    assert min(distance) < 4


def test_a_wide_video_preview_keeps_the_video_aspect(tmp_path: Path) -> None:
    source = tmp_path / "wide.mp4"
    render_video(source, prompt="wide", duration=1.0, width=640, height=360, fps=12)
    assert _thumbnail(source, tmp_path).size == (320, 180)


def _wav(path: Path, samples: list[int], rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def _wave_rows(picture: Image.Image) -> list[int]:
    """Per column, how many pixels the waveform's colour covers."""
    gray = picture.convert("L")
    width, height = gray.size
    return [sum(gray.getpixel((x, y)) > 120 for y in range(height)) for x in range(width)]


def test_an_audio_preview_draws_its_loudness(tmp_path: Path) -> None:
    # One second of silence, then one second of a loud square wave.
    loud = [12000 if (i // 20) % 2 else -12000 for i in range(8000)]
    picture = _thumbnail(_wav(tmp_path / "a.wav", [0] * 8000 + loud), tmp_path)
    rows = _wave_rows(picture)
    half = len(rows) // 2
    assert max(rows[: half - 4]) <= 3  # the flat line of silence
    assert min(rows[half + 4 :]) > picture.height // 2  # the loud half fills the height


def test_a_silent_file_is_a_flat_line(tmp_path: Path) -> None:
    picture = _thumbnail(_wav(tmp_path / "s.wav", [0] * 16000), tmp_path)
    assert max(_wave_rows(picture)) <= 3


def test_a_model_preview_shows_the_mesh_on_the_background(tmp_path: Path) -> None:
    source = tmp_path / "m.glb"
    render_glb(source, prompt="a mossy rock")
    picture = _thumbnail(source, tmp_path)
    assert picture.size == (MAX_SIDE, MAX_SIDE)
    corner, centre = picture.getpixel((2, 2)), picture.getpixel((MAX_SIDE // 2, MAX_SIDE // 2))
    assert max(abs(a - b) for a, b in zip(corner, centre, strict=True)) > 40


def _triangle_glb(node: dict, accessor_count: int = 3) -> bytes:
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    document = {
        "asset": {"version": "2.0"},
        "scenes": [{"nodes": [0]}],
        "nodes": [{"children": [1]}, {"mesh": 0, **node}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"byteLength": len(positions)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": accessor_count,
                       "type": "VEC3"}],
    }  # fmt: skip
    return pack_glb(document, positions)


def test_a_model_without_indices_under_transformed_nodes(tmp_path: Path) -> None:
    source = tmp_path / "t.glb"
    source.write_bytes(_triangle_glb({"translation": [5, 0, 0], "scale": [2, 2, 2]}))
    assert _spread(_thumbnail(source, tmp_path)) > 5


def _broken(name: str, tmp_path: Path) -> tuple[Path, str]:
    """A file the probe may accept or not, but that cannot be previewed."""
    if name == "garbage.png":
        path = tmp_path / name
        path.write_bytes(b"<html>not an image</html>" * 50)
        return path, "png"
    if name == "truncated.mp4":
        source = render_small("mp4", tmp_path)
        path = tmp_path / name
        path.write_bytes(source.read_bytes()[:2000])
        return path, "mp4"
    if name == "header-only.wav":
        return _wav(tmp_path / name, []), "wav"
    if name == "no-mesh.glb":
        path = tmp_path / name
        path.write_bytes(pack_glb({"asset": {"version": "2.0"}}, b""))
        return path, "glb"
    if name == "overrun.glb":  # an accessor that claims more vertices than the buffer holds
        path = tmp_path / name
        path.write_bytes(_triangle_glb({}, accessor_count=300))
        return path, "glb"
    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path, "tiff"  # a format with no previewer


@pytest.mark.parametrize(
    "name",
    ["garbage.png", "truncated.mp4", "header-only.wav", "no-mesh.glb", "overrun.glb", "odd.tif"],
)
def test_files_that_cannot_be_previewed_raise_and_leave_nothing(name: str, tmp_path: Path) -> None:
    source, fmt = _broken(name, tmp_path)
    dest = tmp_path / "thumb.webp"
    with pytest.raises(ThumbnailUnavailable):
        make_thumbnail(source, fmt, dest, duration=1.0)
    assert not dest.exists()
