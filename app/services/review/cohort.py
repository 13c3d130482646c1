"""The cohort: the trainee picker, progress towards certification, pass rate and its
weekly trend, who is stuck."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from app.core import analytics as an
from app.services.access import Actor, require
from app.services.review.sql import _case, _day, _frame, _from, _has_code, _params, _run, _where
from app.store.db import read_session
from app.store.models import utcnow

TREND_WEEKS = 52  # the pass-rate trend covers at most the last year


# --- reference lists ------------------------------------------------------------------------


def trainees(*, actor: Actor) -> pd.DataFrame:
    """The agency's trainees (for the review picker): ``user_id``, ``name``, ``username``,
    ``is_active``."""
    require(actor, "review_attempts")
    with read_session() as session:
        rows = _run(
            session,
            'SELECT id, display_name, username, is_active FROM "user" '
            "WHERE agency_id = :agency AND role = 'trainee' ORDER BY display_name, id",
            agency=actor.agency_id,
        )
    frame = _frame(rows, ["user_id", "name", "username", "is_active"])
    frame["is_active"] = frame["is_active"].astype(bool)
    return frame


# --- cohort ---------------------------------------------------------------------------------


@dataclass
class CohortOverview:
    summary: dict
    trainees: pd.DataFrame  # one row per trainee, see an.trainee_table
    weekly: pd.DataFrame  # week, attempts, passes, pass_rate, trend
    stages: pd.DataFrame  # stage, trainees
    rules: an.StuckRules
    now: dt.datetime


def cohort_overview(
    *, actor: Actor, now: dt.datetime | None = None, rules: an.StuckRules | None = None
) -> CohortOverview:
    """Progress towards certification, pass rate and its weekly trend, who is stuck."""
    require(actor, "analytics")
    now = an.naive_utc(now or utcnow())
    rules = rules or an.StuckRules()
    recent = now - dt.timedelta(days=rules.recent_days)

    def per_trainee() -> tuple[list, list]:
        with read_session() as session:
            people = _run(
                session,
                'SELECT id, display_name, username FROM "user" '
                "WHERE agency_id = :agency AND role = 'trainee' AND is_active",
                agency=actor.agency_id,
            )
            overall = _run(
                session,
                "SELECT user_id, attempts, passes, score_sum, unsafe, over_routed, last_at",
                "FROM traineerollup WHERE agency_id = :agency AND attempts > 0",
                agency=actor.agency_id,
            )
        return people, overall

    def recent_and_milestones() -> tuple[list, list, list, list, list]:
        misses = ", ".join(_case(_has_code("missed_disqualifiers", c)) for c in an.DISQUALIFIERS)
        with read_session() as session:
            recent_rows = _run(
                session,
                "SELECT user_id, COUNT(*),",
                _case("passed"),
                ",",
                misses,
                "FROM",
                _from(session, "ix_attempt_an_time"),
                "WHERE",
                _where(recent),
                "GROUP BY user_id",
                **_params(actor, recent),
            )
            lessons = _run(
                session,
                "SELECT user_id, COUNT(DISTINCT module) FROM lessonprogress "
                "WHERE agency_id = :agency AND check_passed GROUP BY user_id",
                agency=actor.agency_id,
            )
            exams = _run(
                session,
                "SELECT DISTINCT user_id FROM exam WHERE agency_id = :agency AND passed",
                agency=actor.agency_id,
            )
            certified = _run(
                session,
                "SELECT DISTINCT user_id FROM certificate WHERE agency_id = :agency "
                "AND revoked_at IS NULL AND expires_at > :now",
                agency=actor.agency_id,
                now=now,
            )
            weekly_rows = _weekly_counts(session, actor, now)
        return recent_rows, lessons, exams, certified, weekly_rows

    # The two halves scan different indexes; both drivers release the GIL while the
    # database works, so on two cores they overlap.
    (people, overall), (recent_rows, lessons, exams, certified, weekly_rows) = _in_parallel(
        per_trainee, recent_and_milestones
    )

    people_df = _frame(people, ["user_id", "name", "username"])
    stats = _frame(
        overall,
        ["user_id", "attempts", "passes", "score_sum", "unsafe", "over_routed", "last_at"],
    )
    recent_df = _frame(
        recent_rows,
        ["user_id", "recent_attempts", "recent_passes"] + [f"missed_{c}" for c in an.DISQUALIFIERS],
    )
    stats = stats.merge(recent_df, on="user_id", how="left")
    exam_ids = {r[0] for r in exams}
    cert_ids = {r[0] for r in certified}
    milestones = pd.DataFrame(
        {
            "user_id": people_df["user_id"],
            "exam_passed": people_df["user_id"].isin(exam_ids),
            "certified": people_df["user_id"].isin(cert_ids),
        }
    )
    table = an.trainee_table(
        people_df,
        stats,
        lessons=_frame(lessons, ["user_id", "modules_passed"]),
        milestones=milestones,
        now=now,
        rules=rules,
    )
    table = table.merge(people_df[["user_id", "username"]], on="user_id", how="left")
    summary = an.cohort_summary(table, now=now)
    stages = pd.DataFrame(
        {"stage": list(an.STAGES), "trainees": [summary["stages"].get(s, 0) for s in an.STAGES]}
    )
    weekly = an.weekly_trend(_frame(weekly_rows, ["day", "attempts", "passes"]))
    summary["trend_per_week"] = _trend_slope(weekly)
    return CohortOverview(summary, table, weekly, stages, rules, now)


def _in_parallel(*calls: Callable[[], object]) -> list:
    """Run independent read-only queries side by side; results in the order given."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def _trend_slope(weekly: pd.DataFrame) -> float | None:
    if len(weekly) < 2:
        return None
    return float(weekly["trend"].iloc[-1] - weekly["trend"].iloc[-2])


def _weekly_counts(session: Session, actor: Actor, now: dt.datetime) -> list[tuple]:
    """(Monday, attempts, passes) per week (UTC), at most TREND_WEEKS weeks back, from
    the daily rollup."""
    this_monday = now.date() - dt.timedelta(days=now.weekday())
    first = this_monday - dt.timedelta(weeks=TREND_WEEKS - 1)
    rows = _run(
        session,
        "SELECT day, SUM(attempts), SUM(passes) FROM dayrouterollup",
        "WHERE agency_id = :agency AND day >= :lo AND day < :hi GROUP BY day",
        agency=actor.agency_id,
        lo=first,
        hi=this_monday + dt.timedelta(weeks=1),
    )
    weeks: dict[dt.date, list[int]] = {}
    for day, count, passes in rows:
        day = _day(day)
        totals = weeks.setdefault(day - dt.timedelta(days=day.weekday()), [0, 0])
        totals[0] += int(count or 0)
        totals[1] += int(passes or 0)
    return sorted((week, count, passes) for week, (count, passes) in weeks.items() if count)
