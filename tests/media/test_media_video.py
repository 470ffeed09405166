"""The video renderer: H.264 MP4 with the requested duration, size and frame rate, moving."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from media_support import decode_video, files_in

from mediagate.media import probe, render_video


@pytest.mark.parametrize(
    ("duration", "width", "height", "fps"),
    [(1.0, 64, 48, 12), (2.5, 96, 54, 8), (0.5, 16, 16, 30), (3.0, 32, 20, 1)],
)
def test_video_frames_size_rate_and_motion(
    tmp_path: Path, duration: float, width: int, height: int, fps: int
) -> None:
    path = tmp_path / "clip.mp4"
    render_video(path, prompt="orbiting shapes", duration=duration, width=width, height=height,
                 fps=fps)  # fmt: skip
    frames, w, h, rate = decode_video(path)
    assert (w, h) == (width, height)
    assert rate == pytest.approx(fps)
    assert len(frames) == round(duration * fps)
    info = probe(path)
    assert info.format == "mp4"
    assert info.duration == pytest.approx(duration, abs=0.5 / fps)
    assert (info.width, info.height) == (width, height)
    if len(frames) > 1:
        changed = sum(a != b for a, b in itertools.pairwise(frames))
        assert changed == len(frames) - 1  # every frame moves
        assert _mean_abs_diff(frames[0], frames[-1]) > 1.0  # and visibly so
    assert files_in(tmp_path) == ["clip.mp4"]


def test_same_prompt_same_bytes(tmp_path: Path) -> None:
    kwargs = {"duration": 1.0, "width": 48, "height": 32, "fps": 10}
    render_video(tmp_path / "a.mp4", prompt="waves", **kwargs)
    render_video(tmp_path / "b.mp4", prompt="waves", **kwargs)
    render_video(tmp_path / "c.mp4", prompt="wave", **kwargs)
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.mp4", "b.mp4", "c.mp4"))
    assert a == b
    assert a != c


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": 1.0, "width": 33, "height": 32, "fps": 10},  # odd width
        {"duration": 0.0, "width": 32, "height": 32, "fps": 10},
        {"duration": float("nan"), "width": 32, "height": 32, "fps": 10},
        {"duration": 0.1, "width": 32, "height": 32, "fps": 1},  # no whole frame
        {"duration": 1.0, "width": 32, "height": 32, "fps": 0},
    ],
)
def test_bad_parameters_are_value_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        render_video(tmp_path / "x.mp4", prompt="p", **kwargs)
    assert files_in(tmp_path) == []


def _mean_abs_diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
