"""Supervisor analytics as pure functions over small tables (pandas, no database).

The service layer (``app.services.review``) aggregates a million attempts in SQL
and hands these functions the small results: one row per trainee, per day, per
route pair, per disqualifier combination, per twin pair. Every function here
can therefore be checked by hand on a few rows.

Definitions used throughout (also shown on the pages):

- *pass rate* — passed attempts / submitted attempts.
- *unsafe-dispatch rate* — attempts graded ``unsafe_dispatch`` / all attempts.
- *over-routing rate* — attempts that sent police (a route of
  :data:`POLICE_ROUTES`: ``police``, ``community_responder_with_police`` or
  ``police_with_ems``) although the key's routes involve no police / attempts
  whose expert route involves no police. This is the hesitancy the fact sheet
  names as a main obstacle.
- *time to decision* — the attempt's ``seconds``, compared with NFPA 1225
  (2022): call processing within 60 s for 90 % of calls. We report the share
  decided within 60 s and the 90th percentile by the nearest-rank method
  (the value at rank ceil(0.9 n) in ascending order).
- *equity audit* — see :func:`equity_audit`.
"""

from __future__ import annotations

from app.core.analytics.cohort import (
    TRAINEE_STATS,
    StuckRules,
    cohort_summary,
    linear_fit,
    stage_of,
    stuck_reasons,
    trainee_table,
    weekly_trend,
)
from app.core.analytics.common import (
    DISQUALIFIERS,
    MODULE_COUNT,
    NFPA_SECONDS,
    NFPA_SHARE,
    POLICE_ROUTES,
    PRACTICE_TARGET,
    ROUTE_ORDER,
    STAGE_HELP,
    STAGES,
    naive_utc,
    rate,
    split_codes,
)
from app.core.analytics.equity import (
    COUNT_COLUMNS,
    MIN_PAIRS_FOR_COHORT_FLAG,
    MIN_PAIRS_FOR_EQUITY_FLAG,
    MIN_TRAINEES_FOR_EQUITY_FLAG,
    EquityAudit,
    PairedCI,
    Verdict,
    chance_words,
    equity_audit,
    equity_verdict,
    paired_ci,
    pairs_from_counts,
    sign_test_p,
    t_critical95,
    twin_differences,
    twin_pairs,
)
from app.core.analytics.routing import (
    confusion_matrix,
    error_profile,
    routing_rates,
)
from app.core.analytics.timing import (
    nearest_rank,
    timing_from_aggregates,
    timing_histogram,
    timing_summary,
)

__all__ = [
    "DISQUALIFIERS",
    "MIN_PAIRS_FOR_COHORT_FLAG",
    "MIN_PAIRS_FOR_EQUITY_FLAG",
    "MIN_TRAINEES_FOR_EQUITY_FLAG",
    "MODULE_COUNT",
    "NFPA_SECONDS",
    "NFPA_SHARE",
    "POLICE_ROUTES",
    "PRACTICE_TARGET",
    "ROUTE_ORDER",
    "STAGES",
    "STAGE_HELP",
    "TRAINEE_STATS",
    "EquityAudit",
    "PairedCI",
    "StuckRules",
    "cohort_summary",
    "confusion_matrix",
    "Verdict",
    "chance_words",
    "equity_audit",
    "equity_verdict",
    "twin_differences",
    "error_profile",
    "linear_fit",
    "naive_utc",
    "nearest_rank",
    "paired_ci",
    "rate",
    "routing_rates",
    "sign_test_p",
    "split_codes",
    "stage_of",
    "stuck_reasons",
    "t_critical95",
    "timing_from_aggregates",
    "timing_histogram",
    "timing_summary",
    "trainee_table",
    "COUNT_COLUMNS",
    "pairs_from_counts",
    "twin_pairs",
    "weekly_trend",
]
