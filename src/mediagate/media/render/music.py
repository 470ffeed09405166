"""Melodic audio: a prompt-seeded song (scale, tempo, chord progression, melody, bass, drums).

The song is a repeating form of phrases (e.g. AABA); each phrase is one bar per chord. Bars are
self-contained (every note ends inside its bar), so each distinct bar is rendered once and reused,
and rendering time barely grows with the duration.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Iterator
from dataclasses import dataclass

from .control import rng_for
from .pcm import mix_into
from .synth import decay_for, envelope, midi_hz, noise, shaped, steady

# Parent (7-note) scale for harmony, melody scale (maybe pentatonic) as semitone offsets.
_MODES = (
    ((0, 2, 4, 5, 7, 9, 11), (0, 2, 4, 5, 7, 9, 11)),  # major
    ((0, 2, 3, 5, 7, 8, 10), (0, 2, 3, 5, 7, 8, 10)),  # natural minor
    ((0, 2, 3, 5, 7, 9, 10), (0, 2, 3, 5, 7, 9, 10)),  # dorian
    ((0, 2, 4, 5, 7, 9, 10), (0, 2, 4, 5, 7, 9, 10)),  # mixolydian
    ((0, 2, 4, 5, 7, 9, 11), (0, 2, 4, 7, 9)),  # major pentatonic
    ((0, 2, 3, 5, 7, 8, 10), (0, 3, 5, 7, 10)),  # minor pentatonic
)
_PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 0), (0, 4, 5, 3), (5, 3, 0, 4), (0, 3, 0, 4), (0, 5, 1, 4))
_FORMS = ("AABA", "ABAB", "AABB", "ABAC")
_RHYTHMS = (
    (2, 2, 2, 2),
    (3, 1, 2, 2),
    (1, 1, 2, 4),
    (2, 1, 1, 2, 2),
    (4, 4),
    (2, 2, 4),
    (3, 3, 2),
    (1, 1, 1, 1, 2, 2),
    (4, 2, 2),
)  # in eighth notes, 8 per bar
_TIMBRES = ((1.0, 0.25, 0.08), (1.0, 0.5, 0.3, 0.15), (1.0, 0.1, 0.02), (1.0, 0.0, 0.3, 0.0, 0.12))
_BEATS = 4
_EIGHTHS = 2 * _BEATS


@dataclass(frozen=True, slots=True)
class _Note:
    start: int  # eighth within the bar
    length: int  # eighths
    midi: int


def music_chunks(prompt: str, sample_rate: int) -> Iterator[list[int]]:
    """An endless stream of int16-range sample chunks, one bar each."""
    song = _Song(rng_for("music", prompt), sample_rate)
    while True:
        for section in song.form:
            for index in range(len(song.progressions[section])):
                yield song.bar(section, index)


class _Song:
    def __init__(self, rng: random.Random, rate: int) -> None:
        self.rng = rng
        self.rate = rate
        bpm = rng.uniform(84, 132)
        self.eighth = round(rate * 30 / bpm)
        self.bar_len = self.eighth * _EIGHTHS
        self.root = rng.randint(45, 56)  # bass register; melody two octaves up
        self.harmony, self.scale = rng.choice(_MODES)
        self.timbre = rng.choice(_TIMBRES)
        self.form = rng.choice(_FORMS)
        main = rng.choice(_PROGRESSIONS)
        alt = rng.choice(_PROGRESSIONS)
        self.progressions = {"A": main, "B": alt, "C": main[::-1]}
        self.melodies = {s: self._melody(self.progressions[s]) for s in dict.fromkeys(self.form)}
        self.drums = rng.random() < 0.8
        self.hat_every = rng.choice((1, 2))  # in eighths
        self._kick, self._snare, self._hat = self._drum_kit()
        self._bars: dict[tuple[str, int], list[int]] = {}
        self._backings: dict[int, list[int]] = {}
        self._tones: dict[tuple[str, int, int], list[int]] = {}

    # -- composition ---------------------------------------------------------------------------

    def _chord(self, degree: int) -> tuple[int, int, int]:
        """Semitone offsets of the triad on a scale degree of the harmony scale."""
        h = self.harmony

        def tone(i: int) -> int:
            return h[i % 7] + 12 * (i // 7)

        return (tone(degree), tone(degree + 2), tone(degree + 4))

    def _melody(self, progression: tuple[int, ...]) -> list[list[_Note]]:
        rng, scale = self.rng, self.scale
        top = 2 * len(scale)
        index = rng.randrange(len(scale), top)
        bars: list[list[_Note]] = []
        for bar_no, degree in enumerate(progression):
            chord_pcs = {c % 12 for c in self._chord(degree)}
            notes: list[_Note] = []
            pos = 0
            rhythm = rng.choice(_RHYTHMS)
            last_bar = bar_no == len(progression) - 1
            for n, length in enumerate(rhythm):
                index = min(top, max(0, index + rng.choice((-2, -1, -1, 0, 1, 1, 2))))
                if pos % 4 == 0:  # strong beats lean on chord tones
                    for step in (0, 1, -1, 2, -2):
                        cand = min(top, max(0, index + step))
                        if self._scale_pc(cand) in chord_pcs:
                            index = cand
                            break
                if last_bar and n == len(rhythm) - 1:
                    index = len(scale)  # resolve to the tonic
                if n == 0 or rng.random() > 0.12:
                    notes.append(_Note(pos, length, self.root + 24 + self._scale_semis(index)))
                pos += length
            bars.append(notes)
        return bars

    def _scale_semis(self, index: int) -> int:
        return self.scale[index % len(self.scale)] + 12 * (index // len(self.scale))

    def _scale_pc(self, index: int) -> int:
        return self._scale_semis(index) % 12

    # -- rendering -----------------------------------------------------------------------------

    def bar(self, section: str, index: int) -> list[int]:
        key = (section, index)
        cached = self._bars.get(key)
        if cached is None:
            degree = self.progressions[section][index]
            cached = list(self._backing(degree))  # copy: melody is mixed in
            for note in self.melodies[section][index]:
                at = note.start * self.eighth
                clip = self._lead(note.midi, min(note.length * self.eighth, self.bar_len - at))
                mix_into(cached, at, clip)
            self._bars[key] = cached
        return list(cached)

    def _backing(self, degree: int) -> list[int]:
        """Pad chord, bass and drums for one bar on a chord (cached; do not mutate)."""
        cached = self._backings.get(degree)
        if cached is None:
            cached = self._backings[degree] = self._render_backing(degree)
        return cached

    def _render_backing(self, degree: int) -> list[int]:
        rate, bar_len, eighth = self.rate, self.bar_len, self.eighth
        chord = self._chord(degree)
        pad_src = [0.0] * bar_len
        for semis in chord:
            tone = steady(midi_hz(self.root + 12 + semis), rate, bar_len, (1.0, 0.15))
            pad_src = list(map(operator.add, pad_src, tone))
        env = envelope(bar_len, attack=int(0.25 * rate), release=int(0.3 * rate), gain=1300)
        out = shaped(pad_src, env)
        bass = self.root + chord[0] % 12
        for beat in range(0, _EIGHTHS, 4):  # half notes
            mix_into(out, beat * eighth, self._bass(bass, 4 * eighth))
        if self.drums:
            for e in range(_EIGHTHS):
                at = e * eighth
                if e % 4 == 0:
                    mix_into(out, at, self._kick[: bar_len - at])
                elif e % 4 == 2:
                    mix_into(out, at, self._snare[: bar_len - at])
                if e % self.hat_every == 0:
                    mix_into(out, at, self._hat[: bar_len - at])
        return out

    def _lead(self, midi: int, length: int) -> list[int]:
        return self._tone("lead", midi, length)

    def _bass(self, midi: int, length: int) -> list[int]:
        return self._tone("bass", midi, length)

    def _tone(self, voice: str, midi: int, length: int) -> list[int]:
        """A plucked note of `length` samples (cached; do not mutate)."""
        key = (voice, midi, length)
        cached = self._tones.get(key)
        if cached is None:
            rate = self.rate
            if voice == "lead":
                partials, gain, decay = self.timbre, 6000 / sum(self.timbre), 0.6
            else:
                partials, gain, decay = (1.0, 0.4, 0.1), 6500 / 1.5, 0.45
            tone = steady(midi_hz(midi), rate, length, partials)
            env = envelope(length, int(0.01 * rate), int(0.04 * rate), decay_for(decay, rate), gain)
            cached = self._tones[key] = shaped(tone, env)
        return cached

    def _drum_kit(self) -> tuple[list[int], list[int], list[int]]:
        rate, rng = self.rate, self.rng
        n = int(0.14 * rate)
        phase, kick_src = 0.0, []
        for i in range(n):
            phase += math.tau * (48 + 90 * math.exp(-i / (0.03 * rate))) / rate
            kick_src.append(math.sin(phase))
        kick = shaped(kick_src, envelope(n, 8, n // 2, decay_for(0.09, rate), 6500))
        n = int(0.12 * rate)
        snare = shaped(noise(rng, n, 1), envelope(n, 8, n // 2, decay_for(0.05, rate), 2200))
        n = int(0.04 * rate)
        hat = shaped(noise(rng, n, 2), envelope(n, 4, n // 2, decay_for(0.012, rate), 1500))
        return kick, snare, hat
