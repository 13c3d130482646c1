"""Benchmarks of call audio, returned as numbers (``python -m app bench`` prints them).

Both use a temporary cache folder, so they neither read nor fill the real cache.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from app.audio import cache
from app.audio.voices import voice_for
from app.audio.wavfile import check_wav

_SENTENCES = (
    "There's a man lying on the bus bench and he hasn't moved in a while.",
    "My neighbor is playing music really loud again and it's after midnight.",
    "I think he's talking to himself, he keeps pacing up and down the block.",
    "She said she doesn't want to hurt anybody, she just wants someone to talk to.",
    "No, I don't see anything in his hands, he's just shouting at the cars.",
)


def _texts(n: int) -> list[str]:
    # Distinct texts (a number makes each unique) so nothing is served from the cache.
    return [f"Call {i + 1}. {_SENTENCES[i % len(_SENTENCES)]}" for i in range(n)]


def realtime_factor(n_clips: int = 20) -> float:
    """Seconds spent synthesising uncached clips per second of audio produced (lower is faster).

    Clips are rendered one after another through the worker pool, which is
    warmed first so process start-up is not counted.
    """
    if n_clips < 1:
        raise ValueError("n_clips must be at least 1")
    with tempfile.TemporaryDirectory(prefix="audio-bench-") as folder:
        folder_path = Path(folder)
        cache.get_clip("Warming up.", voice_for({}, "bench-warmup"), folder=folder_path)
        spent = audio = 0.0
        for i, text in enumerate(_texts(n_clips)):
            voice = voice_for({"voice": ("adult_female", "older_male")[i % 2]}, f"bench-{i}")
            started = time.perf_counter()
            path = cache.get_clip(text, voice, folder=folder_path)
            spent += time.perf_counter() - started
            audio += check_wav(path)
    return spent / audio


def cached_serve_ms(repeats: int = 200) -> float:
    """Median milliseconds to serve a cached clip: cache lookup plus reading its bytes."""
    with tempfile.TemporaryDirectory(prefix="audio-bench-") as folder:
        folder_path = Path(folder)
        text, voice = _texts(1)[0], voice_for({"voice": "adult_male"}, "bench-serve")
        cache.get_clip(text, voice, folder=folder_path)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            cache.get_clip(text, voice, folder=folder_path).read_bytes()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000.0
