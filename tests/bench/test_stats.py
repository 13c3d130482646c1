"""Percentiles behave like percentiles for any samples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.bench.stats import percentile, summarize

samples = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200)


@given(samples, st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_percentile_is_monotonic_and_within_the_samples(values, q1, q2):
    low, high = sorted((q1, q2))
    a, b = percentile(values, low), percentile(values, high)
    assert min(values) <= a <= b <= max(values)


@given(samples)
def test_the_ends_are_the_minimum_and_the_maximum(values):
    assert percentile(values, 0) == min(values)
    assert percentile(values, 100) == max(values)


def test_known_values():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0


def test_no_samples_no_percentile():
    assert percentile([], 50) is None
    assert summarize([]) == {"n": 0, "p50": None, "p95": None, "max": None, "mean": None}


def test_q_outside_0_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


def test_summary_rounds_and_counts():
    summary = summarize([1.04, 2.06, 3.0])
    assert summary["n"] == 3 and summary["max"] == 3.0 and summary["p50"] == 2.1


def test_settling_the_heap_sets_the_survivors_aside():
    """Between bench parts the heap is collected and what survives is frozen, so a full
    collection inside a timing scans only what that timing made."""
    import gc

    from app.bench.runner import settle_heap

    kept = [object() for _ in range(1000)]
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_count()[2] == 0  # nothing left waiting for a full collection
    finally:
        gc.unfreeze()
