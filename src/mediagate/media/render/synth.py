"""Pure-Python synthesis primitives, written to keep per-sample Python work to a minimum.

Steady tones are computed for one whole-number block of periods and tiled (list repetition runs
in C); envelopes are geometric series built with `itertools.accumulate`.
"""

from __future__ import annotations

import functools
import math
import operator
import random
from itertools import accumulate, repeat

_MAX_BLOCK = 8192


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


@functools.cache
def _period_block(freq: float, sample_rate: int, partials: tuple[float, ...]) -> tuple[float, ...]:
    """Samples of a harmonic tone spanning a whole number of periods (pitch error < 0.5 cent)."""
    period = sample_rate / freq
    best_k, best_err = 1, 1.0
    for k in range(1, 200):
        if k * period > _MAX_BLOCK:
            break
        err = abs(k * period - round(k * period)) / (k * period)
        if err < best_err:
            best_k, best_err = k, err
        if err < 1e-4:
            break
    length = max(1, round(best_k * period))
    step = math.tau * best_k / length
    sin = math.sin
    return tuple(
        sum(a * sin(h * step * i) for h, a in enumerate(partials, start=1)) for i in range(length)
    )


def steady(freq: float, sample_rate: int, count: int, partials: tuple[float, ...]) -> list[float]:
    """`count` samples of a constant-pitch tone with the given harmonic amplitudes."""
    block = _period_block(round(freq, 6), sample_rate, partials)
    reps = count // len(block) + 1
    return list(block * reps)[:count]


def envelope(
    count: int, attack: int, release: int, decay: float = 1.0, gain: float = 1.0
) -> list[float]:
    """Peak `gain`: linear attack, geometric decay (`decay` per sample), linear release to 0."""
    env = list(accumulate(repeat(decay, max(0, count - 1)), operator.mul, initial=gain))[:count]
    attack = min(attack, count)
    if attack > 0:
        env[:attack] = [e * i / attack for i, e in enumerate(env[:attack])]
    release = min(release, count - attack)
    if release > 0:
        start = count - release
        env[start:] = [e * (count - 1 - i) / release for i, e in enumerate(env[start:], start)]
    return env


def shaped(samples: list[float], env: list[float]) -> list[int]:
    """samples * env, as ints."""
    return list(map(int, map(operator.mul, samples, env)))


def decay_for(seconds: float, sample_rate: int) -> float:
    """Per-sample factor that decays to 1/e after `seconds`."""
    return math.exp(-1.0 / max(1.0, seconds * sample_rate))


def noise(rng: random.Random, count: int, highpass: int = 0) -> list[float]:
    """Gaussian white noise (unit variance), differenced `highpass` times to tilt it bright."""
    values = [rng.gauss(0.0, 1.0) for _ in range(count)]
    for _ in range(highpass):
        values = [0.5 * (b - a) for a, b in zip([0.0, *values[:-1]], values, strict=True)]
    return values
