"""What every part of the analytics shares: the codes, the stages and small helpers.

The codes come from their one home, :mod:`app.core.protocol` (and the module slugs from
:mod:`app.core.modules`); nothing here writes a code or a count out again.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import overload

import pandas as pd

from app.core.modules import MODULE_SLUGS
from app.core.protocol import DISPOSITIONS, POLICE_DISPOSITIONS
from app.core.protocol import DISQUALIFIERS as DISQUALIFIERS  # re-exported for analytics

# Routes involving police (the protocol's), in the protocol's order, for tables and SQL.
POLICE_ROUTES: tuple[str, ...] = tuple(d for d in DISPOSITIONS if d in POLICE_DISPOSITIONS)
ROUTE_ORDER: tuple[str, ...] = DISPOSITIONS  # the order of routes in tables
NFPA_SECONDS = 60.0
NFPA_SHARE = 0.90
MODULE_COUNT = len(MODULE_SLUGS)  # the training modules every trainee completes
PRACTICE_TARGET = 20  # passed practice calls before the exam (as the trainee's home page counts)
STAGES: tuple[str, ...] = ("not started", "lessons", "practice", "exam passed", "certified")
STAGE_HELP = {
    "not started": "no lesson passed and no practice call yet",
    "lessons": "working through the lessons (not all knowledge checks passed)",
    "practice": "all lessons passed, certification exam not yet passed",
    "exam passed": "exam passed, no valid certificate yet (sign-off pending or expired)",
    "certified": "holds a valid certificate",
}


def split_codes(value: object) -> list[str]:
    """``"weapon,medical"`` -> ``["weapon", "medical"]``; empty/None -> ``[]``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [part for part in (p.strip() for p in str(value).split(",")) if part]


@overload
def naive_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def naive_utc(value: object) -> dt.datetime | None: ...


def naive_utc(value: object) -> dt.datetime | None:
    """A timestamp as naive UTC (the database keeps naive UTC); None/NaT stay None."""
    if isinstance(value, dt.datetime) and not isinstance(value, pd.Timestamp):
        if value.tzinfo is None:
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def rate(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)
