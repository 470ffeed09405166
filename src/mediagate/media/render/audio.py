"""Speech-like and musical audio as mono 16-bit WAV or MP3."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .control import (
    Control,
    PathLike,
    ProgressFn,
    StopFn,
    atomic_output,
    require_duration,
    require_size,
)
from .music import music_chunks
from .pcm import open_sink, to_pcm16
from .speech import speech_chunks

AUDIO_FORMATS = ("wav", "mp3")
_FADE_SECONDS = 0.03
_Source = Callable[[str, int], Iterator[list[int]]]


def render_speech(
    path: PathLike,
    *,
    prompt: str,
    duration: float,
    fmt: str,
    sample_rate: int = 24000,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> None:
    """Write `duration` seconds of speech-like babble spelled from `prompt` (mono)."""
    _render(path, speech_chunks, prompt, duration, fmt, sample_rate, progress, should_stop)


def render_music(
    path: PathLike,
    *,
    prompt: str,
    duration: float,
    fmt: str,
    sample_rate: int = 44100,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> None:
    """Write `duration` seconds of a prompt-seeded tune: melody, chords, bass, drums (mono)."""
    _render(path, music_chunks, prompt, duration, fmt, sample_rate, progress, should_stop)


def _render(
    path: PathLike,
    source: _Source,
    prompt: str,
    duration: float,
    fmt: str,
    sample_rate: int,
    progress: ProgressFn | None,
    should_stop: StopFn | None,
) -> None:
    if fmt not in AUDIO_FORMATS:
        raise ValueError(f"unsupported audio format {fmt!r}; expected one of {AUDIO_FORMATS}")
    duration = require_duration(duration)
    require_size("sample_rate", sample_rate, low=8000, high=48000)
    total = round(duration * sample_rate)
    control = Control(progress, should_stop)
    control.check()
    control.report(0.0)
    chunks = source(prompt, sample_rate)
    fade = min(total, int(_FADE_SECONDS * sample_rate))
    written = 0
    with atomic_output(path) as tmp, open_sink(tmp, fmt, sample_rate) as sink:
        while written < total:
            control.check()
            chunk = next(chunks)[: total - written]
            _fade_out(chunk, written, total, fade)
            sink(to_pcm16(chunk))
            written += len(chunk)
            control.report(written / total)
    control.finish()


def _fade_out(chunk: list[int], offset: int, total: int, fade: int) -> None:
    """Linearly fade the last `fade` samples of the whole signal (chunk starts at `offset`)."""
    for i in range(max(0, total - fade - offset), len(chunk)):
        chunk[i] = int(chunk[i] * (total - offset - i) / fade)
