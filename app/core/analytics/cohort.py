"""The cohort: weekly trends, each trainee's stage and readiness, and who looks stuck."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from app.core.analytics.common import (
    DISQUALIFIERS,
    MODULE_COUNT,
    PRACTICE_TARGET,
    STAGES,
    naive_utc,
    rate,
)


@dataclass(frozen=True)
class StuckRules:
    """When a trainee counts as stuck. Each rule gives its own reason."""

    min_attempts: int = 10  # "many attempts"
    recent_days: int = 30  # the window "recent" refers to
    min_recent: int = 5  # recent attempts needed to judge improvement
    low_pass_rate: float = 0.5  # recent pass rate below this ...
    min_gain: float = 0.10  # ... and not this much above the earlier pass rate
    repeat_misses: int = 3  # the same disqualifier missed this often recently
    inactive_days: int = 14


def weekly_trend(daily: pd.DataFrame) -> pd.DataFrame:
    """Weekly pass rates with a straight trend line.

    ``daily`` has columns ``day`` (date or ISO string), ``attempts``, ``passes``.
    Weeks start on Monday. The trend is the ordinary least-squares line of the
    weekly pass rate on the week number (weeks without attempts are left out of
    the fit, not counted as zero). Returns columns ``week``, ``attempts``,
    ``passes``, ``pass_rate``, ``trend``.
    """
    columns = ["week", "attempts", "passes", "pass_rate", "trend"]
    if daily is None or daily.empty:
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(daily["day"]).dt.normalize()
    frame = pd.DataFrame(
        {
            "week": days - pd.to_timedelta(days.dt.day_of_week, unit="D"),
            "attempts": daily["attempts"].astype(int),
            "passes": daily["passes"].astype(int),
        }
    )
    weekly = frame.groupby("week", as_index=False)[["attempts", "passes"]].sum()
    weekly = weekly[weekly["attempts"] > 0].sort_values("week").reset_index(drop=True)
    weekly["pass_rate"] = weekly["passes"] / weekly["attempts"]
    x = ((weekly["week"] - weekly["week"].iloc[0]).dt.days // 7).astype(float)
    slope, intercept = linear_fit(x.tolist(), weekly["pass_rate"].tolist())
    weekly["trend"] = intercept + slope * x
    weekly["week"] = weekly["week"].dt.date
    return weekly[columns]


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line; a flat line through the mean if x is constant."""
    n = len(x)
    if n == 0:
        return 0.0, 0.0
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    if sxx == 0:
        return 0.0, my
    slope = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True)) / sxx
    return slope, my - slope * mx


def stage_of(
    *,
    modules_passed: int,
    exam_passed: bool,
    certified: bool,
    attempts: int,
    modules_total: int = MODULE_COUNT,
) -> str:
    """Where a trainee is on the way to certification (one of :data:`STAGES`)."""
    if certified:
        return "certified"
    if exam_passed:
        return "exam passed"
    if modules_passed >= modules_total:
        return "practice"
    if modules_passed > 0 or attempts > 0:
        return "lessons"
    return "not started"


def stuck_reasons(row: dict, *, now: dt.datetime, rules: StuckRules = StuckRules()) -> list[str]:
    """Why this trainee looks stuck (empty when they do not).

    ``row`` holds ``attempts``, ``passes``, ``recent_attempts``, ``recent_passes``,
    ``last_at`` (datetime or None), ``missed_<code>`` (recent misses per
    disqualifier) and ``stage``. Certified trainees are never stuck.
    """
    if row.get("stage") == "certified":
        return []
    now = naive_utc(now)
    reasons: list[str] = []
    attempts = int(row.get("attempts") or 0)
    last_at = naive_utc(row.get("last_at"))
    if last_at is not None:
        idle = (now - last_at).days
        if idle >= rules.inactive_days:
            reasons.append(f"inactive for {idle} days")
    recent = int(row.get("recent_attempts") or 0)
    recent_passes = int(row.get("recent_passes") or 0)
    if attempts >= rules.min_attempts and recent >= rules.min_recent:
        recent_rate = recent_passes / recent
        earlier = attempts - recent
        earlier_rate = (int(row.get("passes") or 0) - recent_passes) / earlier if earlier else None
        gain = None if earlier_rate is None else recent_rate - earlier_rate
        if recent_rate < rules.low_pass_rate and (gain is None or gain < rules.min_gain):
            detail = f"passed {recent_passes} of {recent} in the last {rules.recent_days} days"
            if earlier_rate is not None:
                detail += f" ({recent_rate:.0%} now vs {earlier_rate:.0%} before)"
            reasons.append(f"not improving: {detail}")
    for code in DISQUALIFIERS:
        misses = int(row.get(f"missed_{code}") or 0)
        if misses >= rules.repeat_misses:
            times = "time" if misses == 1 else "times"
            reasons.append(f"missed '{code}' {misses} {times} in the last {rules.recent_days} days")
    return reasons


TRAINEE_STATS = [
    "attempts",
    "passes",
    "score_sum",
    "unsafe",
    "over_routed",
    "recent_attempts",
    "recent_passes",
    *[f"missed_{c}" for c in DISQUALIFIERS],
]


def trainee_table(
    trainees: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    lessons: pd.DataFrame | None = None,
    milestones: pd.DataFrame | None = None,
    now: dt.datetime,
    rules: StuckRules = StuckRules(),
    modules_total: int = MODULE_COUNT,
    practice_target: int = PRACTICE_TARGET,
) -> pd.DataFrame:
    """One row per trainee: activity, pass rate, stage, readiness and why they may be stuck.

    ``readiness`` (0..1) is the mean of the share of lessons passed and the share of
    the practice target reached (passed calls / ``practice_target``, at most 1);
    a certified trainee is at 1.

    ``trainees``: ``user_id``, ``name``. ``stats`` (trainees without attempts may be
    absent): ``user_id``, ``last_at`` and the :data:`TRAINEE_STATS` counts.
    ``lessons``: ``user_id``, ``modules_passed``. ``milestones``: ``user_id``,
    ``exam_passed``, ``certified`` (booleans).
    """
    now = naive_utc(now)
    table = trainees[["user_id", "name"]].copy()
    table = table.merge(stats, on="user_id", how="left")
    for column in TRAINEE_STATS:
        if column not in table:
            table[column] = 0
        table[column] = table[column].fillna(0).astype(int)
    if "last_at" not in table:
        table["last_at"] = pd.NaT
    # Naive UTC whatever the driver returned (text on SQLite, aware values on PostgreSQL).
    table["last_at"] = pd.to_datetime(table["last_at"], utc=True, format="mixed").dt.tz_localize(
        None
    )
    if lessons is not None and not lessons.empty:
        table = table.merge(lessons[["user_id", "modules_passed"]], on="user_id", how="left")
    else:
        table["modules_passed"] = 0
    table["modules_passed"] = table["modules_passed"].fillna(0).astype(int)
    if milestones is not None and not milestones.empty:
        table = table.merge(
            milestones[["user_id", "exam_passed", "certified"]], on="user_id", how="left"
        )
    else:
        table["exam_passed"] = False
        table["certified"] = False
    table["exam_passed"] = table["exam_passed"].astype("boolean").fillna(False).astype(bool)
    table["certified"] = table["certified"].astype("boolean").fillna(False).astype(bool)
    table["pass_rate"] = [
        rate(p, a) for p, a in zip(table["passes"], table["attempts"], strict=True)
    ]
    table["avg_score"] = [
        rate(s, a) for s, a in zip(table["score_sum"], table["attempts"], strict=True)
    ]
    table["stage"] = [
        stage_of(
            modules_passed=m, exam_passed=e, certified=c, attempts=a, modules_total=modules_total
        )
        for m, e, c, a in zip(
            table["modules_passed"],
            table["exam_passed"],
            table["certified"],
            table["attempts"],
            strict=True,
        )
    ]
    lesson_share = (table["modules_passed"] / max(modules_total, 1)).clip(upper=1.0)
    practice_share = (table["passes"] / max(practice_target, 1)).clip(upper=1.0)
    table["readiness"] = ((lesson_share + practice_share) / 2).where(~table["certified"], 1.0)
    reasons = [stuck_reasons(r, now=now, rules=rules) for r in table.to_dict("records")]
    table["stuck"] = [bool(r) for r in reasons]
    table["reasons"] = ["; ".join(r) for r in reasons]
    last = table["last_at"]
    table["days_inactive"] = [None if pd.isna(t) else (now - t.to_pydatetime()).days for t in last]
    return table.sort_values(["stuck", "name"], ascending=[False, True]).reset_index(drop=True)


def cohort_summary(table: pd.DataFrame, *, now: dt.datetime, active_days: int = 14) -> dict:
    """Headline numbers for the cohort from :func:`trainee_table`'s output."""
    attempts = int(table["attempts"].sum()) if len(table) else 0
    passes = int(table["passes"].sum()) if len(table) else 0
    cutoff = naive_utc(now) - dt.timedelta(days=active_days)
    active = int((table["last_at"] >= cutoff).sum()) if len(table) else 0
    stages = {s: int((table["stage"] == s).sum()) for s in STAGES} if len(table) else {}
    return {
        "trainees": int(len(table)),
        "active": active,
        "attempts": attempts,
        "passes": passes,
        "pass_rate": rate(passes, attempts),
        "stuck": int(table["stuck"].sum()) if len(table) else 0,
        "certified": stages.get("certified", 0),
        "stages": stages,
    }
