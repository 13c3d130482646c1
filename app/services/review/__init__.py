"""Supervisor review and analytics: cohort progress, errors, routing, timing, equity.

Every function is keyword-only, takes the ``actor`` first, checks its permission
(``analytics`` for the dashboards, ``review_attempts`` for single attempts) and
filters every query by ``actor.agency_id`` in the SQL itself.

Scale: totals per trainee, and per day the route pairs, disqualifier errors and
time-to-decision bins, come from rollup tables that database triggers keep as attempts
are submitted (:mod:`app.store.rollups`), so the cohort and error views read a few
thousand rows however many attempts a center has. What the rollups do not hold (the
last fortnight per trainee, the exact 90th percentile, twins, lists of attempts) is
read from the covering and partial indexes of migrations 0003 and 0004, index-only; on
SQLite the index is named with ``INDEXED BY`` so the planner cannot wander onto a
scan of the wide rows. :mod:`app.core.analytics` does the arithmetic.
:func:`app.bench.dashboards.dashboard_timings` measures every view (``python -m app bench``).

``since`` counts whole days in UTC: a view "since" a date or a time counts every
attempt submitted from the start of that day, which is what the rollups can answer.

Traceability: every number on the pages can be opened with
:func:`attempts_behind` (metric + parameters -> the attempts that make it up).

The package keeps each part in its own module and re-exports every name, so callers
import from ``app.services.review`` as before:

- :mod:`.sql`: the SQL helpers every view uses;
- :mod:`.cohort`: the trainee picker and the cohort overview;
- :mod:`.dashboards`: errors, routing, time to decision and the equity audit;
- :mod:`.traceability`: the attempts behind a number;
- :mod:`.attempts` and :mod:`.replay`: one trainee, one attempt beside the key;
- :mod:`.notes`: QA review notes.
"""

from __future__ import annotations

from app.services.review.attempts import Replay, TraineeDetail, attempt_replay, trainee_detail
from app.services.review.cohort import TREND_WEEKS, CohortOverview, cohort_overview, trainees
from app.services.review.dashboards import (
    NOT_FOUND,
    EquityView,
    RoutingView,
    TimingView,
    confusion_matrix,
    equity_audit,
    error_profile,
    timing,
    twin_differences,
)
from app.services.review.notes import NOTE_MAX, add_review_note, review_notes
from app.services.review.replay import key_checklist, replay_timeline
from app.services.review.sql import HIST_CAP, HIST_WIDTH, SUBMITTED
from app.services.review.traceability import (
    BEHIND_COLUMNS,
    BEHIND_LIMIT,
    METRICS,
    Metric,
    attempts_behind,
)

__all__ = [
    "BEHIND_COLUMNS",
    "BEHIND_LIMIT",
    "HIST_CAP",
    "HIST_WIDTH",
    "METRICS",
    "NOTE_MAX",
    "SUBMITTED",
    "TREND_WEEKS",
    "CohortOverview",
    "EquityView",
    "Metric",
    "Replay",
    "RoutingView",
    "TimingView",
    "TraineeDetail",
    "add_review_note",
    "attempt_replay",
    "attempts_behind",
    "cohort_overview",
    "confusion_matrix",
    "equity_audit",
    "twin_differences",
    "NOT_FOUND",
    "error_profile",
    "key_checklist",
    "replay_timeline",
    "review_notes",
    "timing",
    "trainee_detail",
    "trainees",
]
