"""How the bench sorts its call-screen samples: wall clock or CPU time, with or without
speech rendered. A mix-up would quietly put CPU times into the wall-clock figures."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.bench.screens import CPU, INTERACTIONS, TTS, flatten

STEPS = st.sampled_from([*INTERACTIONS, "open", "mode"])
SAMPLES = st.dictionaries(
    st.tuples(STEPS, st.booleans(), st.booleans()).map(
        lambda t: (CPU if t[1] else "") + t[0] + (TTS if t[2] else "")
    ),
    st.lists(st.floats(0, 1000), max_size=4),
)


@given(SAMPLES)
def test_every_interaction_sample_lands_in_exactly_one_of_the_four_figures(samples):
    parts = [flatten(samples, tts=tts, cpu=cpu) for tts in (True, False) for cpu in (True, False)]
    wanted = [
        v
        for step, values in samples.items()
        if step.removeprefix(CPU).removesuffix(TTS) in INTERACTIONS
        for v in values
    ]
    assert sorted(v for part in parts for v in part) == sorted(wanted)


@given(SAMPLES)
def test_wall_clock_figures_hold_no_cpu_sample(samples):
    wall = flatten(samples)
    assert sorted(wall) == sorted(
        v
        for step, values in samples.items()
        if not step.startswith(CPU) and step.removesuffix(TTS) in INTERACTIONS
        for v in values
    )
    assert sorted(flatten(samples, steps=("start",), cpu=True)) == sorted(
        samples.get(CPU + "start", []) + samples.get(CPU + "start" + TTS, [])
    )
