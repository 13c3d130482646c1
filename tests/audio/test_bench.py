"""The benchmark helpers return sane numbers and leave the real cache alone."""

from __future__ import annotations

from app.bench import audio_rates


def test_realtime_factor_and_cached_serve(speech, audio_cache):
    factor = audio_rates.realtime_factor(n_clips=3)
    assert 0 < factor < 1  # espeak-ng is far faster than real time
    served = audio_rates.cached_serve_ms(repeats=20)
    assert 0 < served < 50
    assert not audio_cache.exists()
