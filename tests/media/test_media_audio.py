"""The audio renderers: speech-like and melodic mono audio of the requested duration."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from media_support import decode_audio, files_in, rms_windows

from mediagate.media import probe, render_music, render_speech

RENDERERS = {"speech": render_speech, "music": render_music}
CODECS = {"wav": "pcm_s16le", "mp3": "mp3"}


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
@pytest.mark.parametrize("duration", [0.25, 2.0, 3.7])
def test_duration_and_codec(tmp_path: Path, kind: str, fmt: str, duration: float) -> None:
    path = tmp_path / f"out.{fmt}"
    RENDERERS[kind](path, prompt="hello there, how are you?", duration=duration, fmt=fmt)
    samples, rate, codec = decode_audio(path)
    assert codec.startswith(CODECS[fmt])
    assert len(samples) / rate == pytest.approx(duration, abs=0.03)
    assert probe(path).duration == pytest.approx(duration, abs=0.03)
    assert max(samples) > 3000  # audible, not silence
    assert files_in(tmp_path) == [f"out.{fmt}"]


def test_speech_has_syllables_and_pauses(tmp_path: Path) -> None:
    path = tmp_path / "s.wav"
    render_speech(path, prompt="The quick brown fox. It jumps over the lazy dog.", duration=4.0,
                  fmt="wav")  # fmt: skip
    samples, rate, _ = decode_audio(path)
    levels = rms_windows(samples, rate, 0.02)
    loud = max(levels)
    assert loud > 2000
    quiet = sum(level < loud * 0.05 for level in levels)
    assert quiet >= len(levels) * 0.08  # pauses between words and phrases
    # The level rises and falls syllable by syllable: many swings between loud and soft.
    swings = sum((a < loud * 0.3) != (b < loud * 0.3) for a, b in itertools.pairwise(levels))
    assert swings >= 8


def test_music_is_continuous_with_notes(tmp_path: Path) -> None:
    path = tmp_path / "m.wav"
    render_music(path, prompt="a calm tune", duration=4.0, fmt="wav")
    samples, rate, _ = decode_audio(path)
    levels = rms_windows(samples, rate, 0.05)[1:-1]  # ignore the fade-in/out edges
    assert min(levels) > 200  # no gaps: the pad holds the harmony
    assert max(levels) > 1500


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_same_prompt_same_bytes(tmp_path: Path, kind: str) -> None:
    render = RENDERERS[kind]
    for name, prompt in (("a", "rain"), ("b", "rain"), ("c", "snow")):
        render(tmp_path / f"{name}.mp3", prompt=prompt, duration=1.0, fmt="mp3")
    a, b, c = ((tmp_path / f"{n}.mp3").read_bytes() for n in "abc")
    assert a == b
    assert a != c


@pytest.mark.parametrize("prompt", ["!!! ???", "日本語のテキスト", "x" * 4000, "a"])
def test_any_prompt_renders_speech(tmp_path: Path, prompt: str) -> None:
    path = tmp_path / "s.wav"
    render_speech(path, prompt=prompt, duration=1.0, fmt="wav")
    samples, rate, _ = decode_audio(path)
    assert len(samples) == rate
    assert max(samples) > 1000


@pytest.mark.parametrize(
    "kwargs",
    [{"duration": 1.0, "fmt": "ogg"}, {"duration": -1.0, "fmt": "wav"},
     {"duration": 1.0, "fmt": "wav", "sample_rate": 4000}],
)  # fmt: skip
def test_bad_parameters_are_value_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        render_music(tmp_path / "x", prompt="p", **kwargs)
    assert files_in(tmp_path) == []
