"""A video's soundtrack: the prompt's tune (`music`) as an AAC track, muxed as the frames are,
so that the file interleaves and memory does not grow with the duration."""

from __future__ import annotations

from fractions import Fraction

import av

from .music import music_chunks
from .pcm import to_pcm16

_RATE = 44100


class Soundtrack:
    def __init__(self, container: av.container.OutputContainer, prompt: str, duration: float):
        self._container = container
        self._stream = container.add_stream("aac", rate=_RATE, layout="mono")
        self._chunks = music_chunks(prompt, _RATE)
        self._buffer: list[int] = []
        self._total = round(duration * _RATE)
        self._written = 0
        self._time_base = Fraction(1, _RATE)

    def until(self, seconds: float) -> None:
        """Write the track up to `seconds` (no further than its duration)."""
        target = min(self._total, round(seconds * _RATE))
        while self._written < target:
            if not self._buffer:
                self._buffer = next(self._chunks)
            take = min(len(self._buffer), target - self._written)
            samples, self._buffer = self._buffer[:take], self._buffer[take:]
            frame = av.AudioFrame(format="s16", layout="mono", samples=take)
            frame.planes[0].update(to_pcm16(samples).tobytes())
            frame.sample_rate, frame.pts, frame.time_base = _RATE, self._written, self._time_base
            self._written += take
            self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        self.until(self._total / _RATE)
        self._container.mux(self._stream.encode(None))
