"""Time to decision against NFPA 1225 (2022): 60 s for 90 % of calls."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from app.core.analytics.common import NFPA_SECONDS, NFPA_SHARE, rate


def nearest_rank(n: int, q: float) -> int:
    """1-based rank of the q-quantile by the nearest-rank method: ceil(q * n), at least 1."""
    if n <= 0:
        raise ValueError("no values")
    return max(1, math.ceil(q * n - 1e-9))


def timing_summary(
    seconds: Iterable[float], *, limit: float = NFPA_SECONDS, share: float = NFPA_SHARE
) -> dict:
    """Share of decisions within ``limit`` seconds and the ``share`` percentile (raw values)."""
    values = sorted(float(s) for s in seconds if s is not None and not pd.isna(s))
    if not values:
        return timing_from_aggregates(n=0, within=0, percentile=None, limit=limit, share=share)
    within = sum(1 for v in values if v <= limit)
    percentile = values[nearest_rank(len(values), share) - 1]
    return timing_from_aggregates(
        n=len(values), within=within, percentile=percentile, limit=limit, share=share
    )


def timing_from_aggregates(
    *,
    n: int,
    within: int,
    percentile: float | None,
    limit: float = NFPA_SECONDS,
    share: float = NFPA_SHARE,
) -> dict:
    """The timing verdict from counts computed elsewhere (e.g. in SQL)."""
    share_within = rate(within, n)
    return {
        "n": int(n),
        "within": int(within),
        "share_within": share_within,
        "p90": percentile,
        "limit": limit,
        "target_share": share,
        "meets_target": share_within is not None and share_within >= share,
    }


def timing_histogram(seconds: Iterable[float], *, width: float = 5.0) -> pd.DataFrame:
    """Counts of decisions per ``width``-second bin (``start``, ``n``)."""
    counts: dict[float, int] = {}
    for s in seconds:
        if s is None or pd.isna(s):
            continue
        start = math.floor(float(s) / width) * width
        counts[start] = counts.get(start, 0) + 1
    return pd.DataFrame(sorted(counts.items()), columns=["start", "n"])
