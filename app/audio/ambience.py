"""Background sound under a caller's voice, made from filtered noise and hum.

Pure Python (stdlib only) and deterministic: each kind is a loopable bed
generated from a fixed seed; a clip mixes its bed at a low level, starting at
an offset taken from the clip's own seed, with a short lead-in and tail so
the line sounds open before and after the caller speaks. The output keeps the
platform format (22,050 Hz mono 16-bit).
"""

from __future__ import annotations

import functools
import math
import operator
import random
from array import array

from app.audio.wavfile import LITTLE_ENDIAN, SAMPLE_RATE

KINDS = ("street", "tv", "indoor", "car", "crowd")
NONE = "none"
BED_SECONDS = 6.0
CROSSFADE_SECONDS = 0.5
LEAD_SECONDS = 0.35
TAIL_SECONDS = 0.35
# RMS level of each bed as a fraction of full scale: espeak speech is about 0.1, so the
# background sits some 14 dB under the voice.
LEVELS = {"street": 0.02, "tv": 0.018, "indoor": 0.008, "car": 0.025, "crowd": 0.02}

_TWO_PI = 2.0 * math.pi


def normalize_kind(kind: object) -> str | None:
    """The ambience kind, or None for none/empty; raise ValueError for an unknown kind."""
    if kind is None or kind == "" or kind == NONE:
        return None
    if isinstance(kind, str) and kind in KINDS:
        return kind
    raise ValueError(f"unknown ambience {kind!r}: use one of none, {', '.join(KINDS)}")


def _white(rng: random.Random, n: int) -> list[float]:
    u = rng.uniform
    return [u(-1.0, 1.0) for _ in range(n)]


def _lowpass(x: list[float], cutoff_hz: float) -> list[float]:
    a = 1.0 - math.exp(-_TWO_PI * cutoff_hz / SAMPLE_RATE)
    out: list[float] = []
    y = 0.0
    append = out.append
    for v in x:
        y += a * (v - y)
        append(y)
    return out


def _bandpass(x: list[float], low_hz: float, high_hz: float) -> list[float]:
    hi = _lowpass(x, high_hz)
    lo = _lowpass(hi, low_hz)
    return [h - low for h, low in zip(hi, lo, strict=True)]


def _babble(rng: random.Random, n: int, syllable_hz: float, low: float, high: float) -> list[float]:
    """Noise shaped like far-off talk: syllable pulses grouped into words and pauses."""
    voiced = _bandpass(_white(rng, n), low, high)
    env, phase, gate, next_switch = [], rng.random() * _TWO_PI, 1.0, 0
    step = _TWO_PI * syllable_hz / SAMPLE_RATE
    for i in range(n):
        if i >= next_switch:
            gate = 1.0 if gate == 0.0 or rng.random() < 0.3 else 0.0
            next_switch = i + int(SAMPLE_RATE * rng.uniform(0.25, 0.9))
        phase += step * (1.0 + 0.3 * math.sin(i * 1.7e-4))
        env.append(gate * max(0.0, math.sin(phase)) ** 2)
    env = _lowpass(env, 30.0)
    return [v * e for v, e in zip(voiced, env, strict=True)]


def _street(rng: random.Random, n: int) -> list[float]:
    rumble = _lowpass(_white(rng, n), 150.0)
    traffic = _lowpass(_white(rng, n), 700.0)
    centre = rng.uniform(0.3, 0.7) * n
    width = 1.2 * SAMPLE_RATE
    return [
        3.0 * r + t * (0.25 + 1.2 * math.exp(-(((i - centre) / width) ** 2)))
        for i, (r, t) in enumerate(zip(rumble, traffic, strict=True))
    ]


def _tv(rng: random.Random, n: int) -> list[float]:
    talk = _babble(rng, n, 4.2, 250.0, 2500.0)
    chord = (196.0, 246.9, 293.7)
    music = [
        0.08 * (0.6 + 0.4 * math.sin(_TWO_PI * 0.25 * i / SAMPLE_RATE))
        * sum(math.sin(_TWO_PI * f * i / SAMPLE_RATE) for f in chord)
        for i in range(n)
    ]  # fmt: skip
    return _lowpass([t + m for t, m in zip(talk, music, strict=True)], 3000.0)


def _indoor(rng: random.Random, n: int) -> list[float]:
    air = _lowpass(_white(rng, n), 400.0)
    w = _TWO_PI * 60.0 / SAMPLE_RATE  # mains hum and its harmonics
    return [
        2.0 * a + 0.05 * math.sin(w * i) + 0.03 * math.sin(2 * w * i) + 0.015 * math.sin(3 * w * i)
        for i, a in enumerate(air)
    ]


def _car(rng: random.Random, n: int) -> list[float]:
    road = _lowpass(_white(rng, n), 220.0)
    hiss = _lowpass(_white(rng, n), 1500.0)
    out, phase = [], 0.0
    for i in range(n):
        rpm = 32.0 * (1.0 + 0.03 * math.sin(_TWO_PI * 0.2 * i / SAMPLE_RATE))
        phase += _TWO_PI * rpm / SAMPLE_RATE
        engine = math.sin(phase) + 0.5 * math.sin(2 * phase) + 0.25 * math.sin(3 * phase)
        out.append(0.06 * engine + 4.0 * road[i] + 0.15 * hiss[i])
    return out


def _crowd(rng: random.Random, n: int) -> list[float]:
    total = [0.0] * n
    for _ in range(6):
        low = rng.uniform(200.0, 400.0)
        voice = _babble(rng, n, rng.uniform(3.0, 6.0), low, low * rng.uniform(5.0, 8.0))
        gain = rng.uniform(0.5, 1.0)
        total = [t + gain * v for t, v in zip(total, voice, strict=True)]
    murmur = _lowpass(_white(rng, n), 300.0)
    return [t + 1.5 * m for t, m in zip(total, murmur, strict=True)]


_GENERATORS = {"street": _street, "tv": _tv, "indoor": _indoor, "car": _car, "crowd": _crowd}


@functools.cache
def bed(kind: str) -> array:
    """A loopable int16 bed of this kind at its mixing level (generated once per process)."""
    known = normalize_kind(kind)
    if known is None:
        return array("h")
    kind = known
    n = int(BED_SECONDS * SAMPLE_RATE)
    fade = int(CROSSFADE_SECONDS * SAMPLE_RATE)
    x = _GENERATORS[kind](random.Random(f"callscreen-ambience:{kind}"), n + fade)
    # Fold the extra tail over the start so the loop point does not click.
    looped = [
        x[i] * (i / fade) + x[n + i] * (1.0 - i / fade) if i < fade else x[i] for i in range(n)
    ]
    mean = sum(looped) / n
    rms = math.sqrt(sum((v - mean) ** 2 for v in looped) / n) or 1.0
    scale = LEVELS[kind] * 32767.0 / rms
    return array("h", (max(-32768, min(32767, round((v - mean) * scale))) for v in looped))


def mix(frames: bytes, kind: str | None, seed: int = 0) -> bytes:
    """Mix a bed under little-endian int16 mono voice ``frames``; return new frames.

    With no ambience the frames come back unchanged. Otherwise the result is
    LEAD_SECONDS + voice + TAIL_SECONDS long, the bed starting at ``seed``.
    """
    kind = normalize_kind(kind)
    if kind is None:
        return frames
    voice = array("h")
    voice.frombytes(frames[: len(frames) - len(frames) % 2])
    if not LITTLE_ENDIAN:
        voice.byteswap()
    lead = array("h", bytes(2 * int(LEAD_SECONDS * SAMPLE_RATE)))
    tail = array("h", bytes(2 * int(TAIL_SECONDS * SAMPLE_RATE)))
    voice = lead + voice + tail
    background = bed(kind)
    size, n = len(background), len(voice)
    offset = seed % size
    under = background[offset:] + background * (n // size + 1)
    total = list(map(operator.add, voice, under[:n]))  # C-speed sample-wise sum
    if total and (max(total) > 32767 or min(total) < -32768):
        total = [32767 if v > 32767 else -32768 if v < -32768 else v for v in total]
    out = array("h", total)
    if not LITTLE_ENDIAN:
        out.byteswap()
    return out.tobytes()
