"""How long one match takes (the bench figure ``question_match_p95_ms``)."""

from __future__ import annotations

import random
import statistics
import time

from app.core.protocol import load_protocol
from app.core.question_match.matching import match_question

BENCH_TEXTS = (
    "whats the address there",
    "what number can i reach you on",
    "ok so what is going on",
    "does he have any weapons on him",
    "has she threatened anybody",
    "is anybody hurt",
    "is he awake and breathing",
    "can the team get in the front door",
    "did anything get stolen",
    "has she been drinking tonight",
    "is he talking about killing himself",
    "how do you know her",
    "what is the guy wearing",
    "where in the building is she now",
    "do you need a translator",
    "how long has he been sitting there",
    "ok",
    "hold on a sec",
    "what's your favourite team",
    "asdf jkl",
)


def _slip(text: str, rng: random.Random) -> str:
    """``text`` with one letter dropped, as a hurried typist would."""
    if len(text) < 6:
        return text
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1 :]


def bench_p95_ms(count: int = 300) -> float:
    """The 95th percentile of one match, in milliseconds, over ``count`` varied texts.

    The index is built before timing (once per protocol in real use); a third of the
    texts carry a typing slip so that the spelling fixes are measured too.
    """
    protocol = load_protocol()
    own = (("how_long", "How long has he been there?"),)
    rng = random.Random(0)
    match_question("warm up", protocol, own)
    samples = []
    for i in range(max(count, 20)):
        text = BENCH_TEXTS[i % len(BENCH_TEXTS)]
        if i % 3 == 2:
            text = _slip(text, rng)
        started = time.perf_counter()
        match_question(text, protocol, own)
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.quantiles(samples, n=20)[-1]
