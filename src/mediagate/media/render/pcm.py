"""Mono 16-bit PCM plumbing: an overlap-add timeline and WAV/MP3 sinks."""

from __future__ import annotations

import contextlib
import operator
import sys
import wave
from array import array
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from itertools import repeat
from pathlib import Path

import av

from .codecs import mp3_encoder

PcmSink = Callable[[array], None]
_MP3_BITRATE = {True: 64_000, False: 128_000}  # keyed by "sample rate below 32 kHz"


def mix_into(buffer: list[int], at: int, clip: Sequence[int]) -> None:
    """Add `clip` into `buffer` starting at `at` (the clip must fit)."""
    end = at + len(clip)
    buffer[at:end] = map(operator.add, buffer[at:end], clip)


class Timeline:
    """Overlap-add buffer: add clips at absolute positions, take finished samples in order."""

    __slots__ = ("_buffer", "_origin")

    def __init__(self) -> None:
        self._buffer: list[int] = []
        self._origin = 0  # absolute position of _buffer[0]

    def add(self, at: int, clip: Sequence[int]) -> None:
        start = at - self._origin
        if start < 0:
            raise ValueError("cannot add before samples already taken")
        missing = start + len(clip) - len(self._buffer)
        if missing > 0:
            self._buffer.extend(repeat(0, missing))
        mix_into(self._buffer, start, clip)

    def take(self, until: int) -> list[int]:
        """Remove and return the samples before absolute position `until` (zero-filled)."""
        count = until - self._origin
        if count <= 0:
            return []
        missing = count - len(self._buffer)
        if missing > 0:
            self._buffer.extend(repeat(0, missing))
        out = self._buffer[:count]
        del self._buffer[:count]
        self._origin = until
        return out


def to_pcm16(samples: list[int]) -> array:
    """Samples as a native-order int16 array, clipped if any exceed the range."""
    if samples and (min(samples) < -32768 or max(samples) > 32767):
        samples = [-32768 if s < -32768 else 32767 if s > 32767 else s for s in samples]
    return array("h", samples)


@contextlib.contextmanager
def open_sink(path: Path, fmt: str, sample_rate: int) -> Iterator[PcmSink]:
    """A writer of mono int16 chunks to a WAV (stdlib) or MP3 (PyAV) file."""
    if fmt == "wav":
        with _wav_sink(path, sample_rate) as sink:
            yield sink
    elif fmt == "mp3":
        with _mp3_sink(path, sample_rate) as sink:
            yield sink
    else:
        raise ValueError(f"unsupported audio format {fmt!r}; expected 'wav' or 'mp3'")


@contextlib.contextmanager
def _wav_sink(path: Path, sample_rate: int) -> Iterator[PcmSink]:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)

        def write(samples: array) -> None:
            if sys.byteorder == "big":
                samples = array("h", samples)
                samples.byteswap()
            out.writeframesraw(samples.tobytes())

        yield write


@contextlib.contextmanager
def _mp3_sink(path: Path, sample_rate: int) -> Iterator[PcmSink]:
    encoder = mp3_encoder()
    time_base = Fraction(1, sample_rate)
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream(encoder, rate=sample_rate, layout="mono")
        stream.bit_rate = _MP3_BITRATE[sample_rate < 32_000]
        stream.format = "s16p"  # mono s16p is our s16 layout: no sample conversion
        if encoder == "libmp3lame":
            stream.options = {"compression_level": "7"}  # LAME -q7: about 2x faster than default
        written = 0

        def write(samples: array) -> None:
            nonlocal written
            if not samples:
                return
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples))
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = sample_rate, written, time_base
            written += len(samples)
            container.mux(stream.encode(frame))

        yield write
        container.mux(stream.encode(None))
