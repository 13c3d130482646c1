"""Percentiles and summaries of latency samples (milliseconds)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(samples: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None when there are no samples."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(float(s) for s in samples)
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[float]) -> dict[str, float | int | None]:
    """{n, p50, p95, max, mean} of the samples, rounded to 0.1."""
    values = [float(s) for s in samples]

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "max": r(max(values)) if values else None,
        "mean": r(sum(values) / len(values)) if values else None,
    }
