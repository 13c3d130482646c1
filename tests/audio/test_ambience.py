"""Background sound: deterministic, quiet under the voice, and in the platform format."""

from __future__ import annotations

import math
import wave
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.audio import ambience
from app.audio.wavfile import SAMPLE_RATE

PAD = int(ambience.LEAD_SECONDS * SAMPLE_RATE) + int(ambience.TAIL_SECONDS * SAMPLE_RATE)


def _rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32767


@pytest.mark.parametrize("kind", ambience.KINDS)
def test_each_bed_is_deterministic_quiet_and_not_silent(kind):
    bed = ambience.bed(kind)
    assert len(bed) == int(ambience.BED_SECONDS * SAMPLE_RATE)
    ambience.bed.cache_clear()
    assert ambience.bed(kind) == bed
    level = _rms(bed)
    assert 0.5 * ambience.LEVELS[kind] < level < 1.5 * ambience.LEVELS[kind] < 0.05


@settings(max_examples=40, deadline=None)
@given(
    samples=st.lists(st.integers(-32768, 32767), max_size=2000),
    kind=st.sampled_from(ambience.KINDS),
    seed=st.integers(0, 2**48),
)
def test_mix_pads_clamps_and_is_deterministic(samples, kind, seed):
    frames = array("h", samples).tobytes()
    mixed = ambience.mix(frames, kind, seed)
    assert len(mixed) == len(frames) + 2 * PAD
    assert mixed == ambience.mix(frames, kind, seed)
    out = array("h")
    out.frombytes(mixed)
    assert len(out) == len(samples) + PAD


@pytest.mark.parametrize("value", [32767, -32768])
def test_mix_clamps_instead_of_wrapping(value):
    frames = array("h", [value] * 5000).tobytes()
    out = array("h")
    out.frombytes(ambience.mix(frames, "car", 7))
    voiced = out[int(ambience.LEAD_SECONDS * SAMPLE_RATE) :][:5000]
    peak = max(abs(v) for v in ambience.bed("car"))
    assert value in voiced
    assert all(abs(v - value) <= peak for v in voiced)  # no sign flip from overflow


def test_no_ambience_leaves_frames_alone():
    frames = array("h", [1, -2, 3]).tobytes()
    assert ambience.mix(frames, None) is frames
    assert ambience.mix(frames, "none") is frames


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown ambience"):
        ambience.normalize_kind("jungle")


@pytest.mark.parametrize("kind", ["street", "car"])
def test_rendered_clip_with_ambience_keeps_the_format(speech, kind):
    from app.audio import DISPATCHER_VOICE, clip_for_text, wav_duration

    plain = clip_for_text("Is anyone hurt?", DISPATCHER_VOICE)
    noisy = clip_for_text("Is anyone hurt?", DISPATCHER_VOICE, kind)
    assert plain != noisy
    with wave.open(str(noisy), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
    assert wav_duration(noisy) == pytest.approx(wav_duration(plain) + PAD / SAMPLE_RATE, abs=1e-3)
    # The pauses before the voice carry the background, not silence.
    with wave.open(str(noisy), "rb") as wav:
        lead = array("h", wav.readframes(int(0.3 * SAMPLE_RATE)))
    assert _rms(lead) > 0.002
