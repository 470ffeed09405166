"""Speech-like audio: formant-wave-function (FOF) synthesis of syllables spelled by the prompt.

Each glottal pulse adds a precomputed "grain" (the impulse response of three vowel formants) to an
overlap-add timeline; the spacing of the grains follows a pitch contour with phrase declination,
stress accents and question rises. Consonants are noise bursts, closures or nasal murmurs.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from .control import rng_for
from .pcm import Timeline
from .synth import envelope, noise, shaped

# Per vowel: (frequency Hz, bandwidth Hz, relative amplitude) of three formants.
_FORMANTS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "a": ((730, 90, 1.0), (1090, 110, 0.5), (2440, 160, 0.25)),
    "e": ((530, 70, 1.0), (1840, 100, 0.45), (2480, 160, 0.3)),
    "i": ((300, 60, 1.0), (2250, 100, 0.35), (3000, 180, 0.3)),
    "o": ((570, 80, 1.0), (840, 90, 0.6), (2410, 160, 0.15)),
    "u": ((325, 60, 1.0), (870, 90, 0.4), (2250, 160, 0.1)),
    "y": ((400, 70, 1.0), (1900, 110, 0.4), (2550, 160, 0.25)),
    "@": ((500, 80, 1.0), (1500, 110, 0.45), (2500, 160, 0.25)),  # schwa
    "m": ((250, 60, 1.0), (1200, 200, 0.12), (2300, 250, 0.06)),  # nasal/liquid murmur
}
_VOWEL_CHARS = "aeiouy"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_HISS, _BREATH, _PLOSIVE = set("szcxj"), set("fvh"), set("pbtdkgq")
_LEVELS = 16
_PEAK = 12000
_TOKEN = re.compile(r"[^\W\d_]+|[.,!?;:]")
_SYLLABLE = re.compile(r"([^aeiouy]*)([aeiouy]+)")
_MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class _Syllable:
    onset: str
    nucleus: str
    coda: str


_Word = list[_Syllable]
_Phrase = tuple[list[_Word], str]  # words, terminating punctuation


def speech_chunks(prompt: str, sample_rate: int) -> Iterator[list[int]]:
    """An endless stream of int16-range sample chunks (about one syllable each)."""
    rng = rng_for("speech", prompt)
    voice = _Voice(rng, sample_rate)
    phrases = _phrases(prompt[:_MAX_TEXT]) or _babble(rng)
    timeline = Timeline()
    cursor = int(0.08 * sample_rate)
    while True:
        for words, terminator in phrases:
            total = sum(len(word) for word in words)
            k = 0
            for word in words:
                for index, syllable in enumerate(word):
                    pitch = voice.base * (1.15 - 0.3 * k / max(1, total - 1))
                    stressed = index == 0 and (len(word) > 1 or rng.random() < 0.4)
                    start, end = (1.12, 1.0) if stressed else (1.0, 0.95)
                    if k == total - 1:
                        end = 1.35 if terminator == "?" else 0.85
                    contour = (pitch * start, pitch * end)
                    cursor = voice.syllable(timeline, cursor, syllable, contour, stressed)
                    yield timeline.take(cursor)
                    k += 1
                cursor += voice.seconds(rng.uniform(0.04, 0.09))
            cursor += voice.seconds(0.22 if terminator == "," else 0.4)
        cursor += voice.seconds(0.3)


class _Voice:
    """A speaker: base pitch, tempo, precomputed formant grains and noise sources."""

    def __init__(self, rng: random.Random, sample_rate: int) -> None:
        self.rng = rng
        self.rate = sample_rate
        low_voice = rng.random() < 0.5
        self.base = rng.uniform(95, 135) if low_voice else rng.uniform(165, 225)
        self.tempo = rng.uniform(0.85, 1.15)
        self._grains: dict[str, list[list[int]]] = {}
        self._hiss = noise(rng, sample_rate // 4, highpass=2)
        self._breath = noise(rng, sample_rate // 4, highpass=1)

    def seconds(self, value: float) -> int:
        return max(1, round(value * self.rate * self.tempo))

    def syllable(
        self,
        timeline: Timeline,
        cursor: int,
        syllable: _Syllable,
        contour: tuple[float, float],
        stressed: bool,
    ) -> int:
        """Render one syllable at `cursor`; return the position where the next may start."""
        for char in syllable.onset[-2:]:
            cursor = self._consonant(timeline, cursor, char, contour[0], 1.0)
        nucleus = syllable.nucleus
        length = self.seconds(
            (0.16 if stressed else 0.11)
            * (1.3 if len(nucleus) > 1 else 1.0)
            * self.rng.uniform(0.85, 1.15)
        )
        level = 1.0 if stressed else 0.8
        self._voiced(timeline, cursor, length, (nucleus[0], nucleus[-1]), contour, level)
        cursor += length
        for char in syllable.coda[:2]:
            cursor = self._consonant(timeline, cursor, char, contour[1], 0.8)
        return cursor

    def _consonant(
        self, timeline: Timeline, cursor: int, char: str, pitch: float, scale: float
    ) -> int:
        if char in _HISS:
            return self._noise(timeline, cursor, self.seconds(0.085 * scale), self._hiss, 6000)
        if char in _BREATH:
            return self._noise(timeline, cursor, self.seconds(0.07 * scale), self._breath, 2700)
        if char in _PLOSIVE:
            cursor += self.seconds(0.035 * scale)  # closure
            return self._noise(timeline, cursor, self.seconds(0.014), self._breath, 7500)
        length = self.seconds(0.06 * scale)
        self._voiced(timeline, cursor, length, ("m", "m"), (pitch, pitch), 0.5)
        return cursor + length

    def _noise(
        self, timeline: Timeline, cursor: int, length: int, source: list[float], gain: float
    ) -> int:
        length = min(length, len(source))
        offset = self.rng.randrange(len(source) - length + 1)
        env = envelope(length, attack=length // 5, release=length // 2, gain=gain)
        timeline.add(cursor, shaped(source[offset : offset + length], env))
        return cursor + length

    def _voiced(
        self,
        timeline: Timeline,
        start: int,
        length: int,
        vowels: tuple[str, str],
        contour: tuple[float, float],
        level: float,
    ) -> None:
        """Glottal pulses from `start` for `length` samples, gliding between two vowels."""
        first, second = self._bank(vowels[0]), self._bank(vowels[1])
        attack, release = self.seconds(0.02), self.seconds(0.04)
        end = start + length
        pos = start
        uniform = self.rng.uniform
        while pos < end:
            frac = (pos - start) / length
            amp = level * min(1.0, (pos - start + 1) / attack, (end - pos) / release)
            pitch = (contour[0] + (contour[1] - contour[0]) * frac) * (1.0 + uniform(-0.01, 0.01))
            bank = first if frac < 0.5 else second
            timeline.add(pos, bank[min(_LEVELS, round(amp * _LEVELS))])
            pos += max(1, round(self.rate / pitch))

    def _bank(self, vowel: str) -> list[list[int]]:
        """The vowel's grain at every amplitude level (cached)."""
        bank = self._grains.get(vowel)
        if bank is None:
            grain = _grain(_FORMANTS.get(vowel, _FORMANTS["@"]), self.rate)
            bank = [[int(x * _PEAK * lv / _LEVELS) for x in grain] for lv in range(_LEVELS + 1)]
            self._grains[vowel] = bank
        return bank


def _grain(formants: tuple[tuple[float, float, float], ...], rate: int) -> list[float]:
    """One formant wave function: damped sinusoids with a smooth onset and tapered tail."""
    length = int(0.016 * rate)
    onset = max(1, int(0.0012 * rate))
    taper = max(1, length // 5)
    nyquist = rate / 2
    values = []
    for n in range(length):
        t = n / rate
        value = sum(
            amp * math.exp(-math.pi * width * t) * math.sin(math.tau * freq * t)
            for freq, width, amp in formants
            if freq < nyquist
        )
        if n < onset:
            value *= 0.5 - 0.5 * math.cos(math.pi * n / onset)
        if n >= length - taper:
            value *= (length - n) / taper
        values.append(value)
    peak = max(abs(v) for v in values) or 1.0
    return [v / peak for v in values]


def _phrases(text: str) -> list[_Phrase]:
    phrases: list[_Phrase] = []
    words: list[_Word] = []
    for token in _TOKEN.findall(text.lower()):
        if token in ".,!?;:":
            if words:
                phrases.append((words, token))
                words = []
            continue
        word = _syllabify(_spell(token))
        if word:
            words.append(word)
            if len(words) >= 8:  # breathe in long runs without punctuation
                phrases.append((words, ","))
                words = []
    if words:
        phrases.append((words, "."))
    return phrases


def _spell(word: str) -> str:
    """Map a word to a-z: strip accents; other letters become a consonant-vowel pair."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", word):
        if "a" <= char <= "z":
            out.append(char)
        elif char.isalpha() and not unicodedata.combining(char):
            code = ord(char)
            out.append(_CONSONANTS[code % 20] + _VOWEL_CHARS[(code // 20) % 6])
    return "".join(out)


def _syllabify(word: str) -> _Word:
    syllables: _Word = []
    end = 0
    for match in _SYLLABLE.finditer(word):
        syllables.append(_Syllable(match.group(1), match.group(2), ""))
        end = match.end()
    rest = word[end:]
    if rest:
        if syllables:
            last = syllables[-1]
            syllables[-1] = _Syllable(last.onset, last.nucleus, rest)
        else:
            syllables.append(_Syllable(rest[:2], "@", rest[2:]))
    return syllables


def _babble(rng: random.Random) -> list[_Phrase]:
    """Pseudo-words for prompts with no letters."""

    def word() -> _Word:
        return [
            _Syllable(rng.choice(_CONSONANTS), rng.choice(_VOWEL_CHARS), "")
            for _ in range(rng.randint(1, 3))
        ]

    return [([word() for _ in range(rng.randint(3, 6))], ".") for _ in range(3)]
