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
:func:`dashboard_timings` measures every view (``python -m app bench``).

``since`` counts whole days in UTC: a view "since" a date or a time counts every
attempt submitted from the start of that day, which is what the rollups can answer.

Traceability: every number on the pages can be opened with
:func:`attempts_behind` (metric + parameters -> the attempts that make it up).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Date, DateTime, bindparam, text
from sqlmodel import Session

from app.core import analytics as an
from app.core import regrade as grading_rules
from app.errors import NotFound, UserError
from app.services.access import Actor, can, require
from app.store import rollups
from app.store.db import read_session, write_session
from app.store.models import ATTEMPT_ERRORS, ATTEMPT_FLAGS, ReviewNote, utcnow

SUBMITTED = "submitted"
TREND_WEEKS = 52  # the pass-rate trend covers at most the last year
BEHIND_LIMIT = 200
NOTE_MAX = 4000
HIST_WIDTH = float(rollups.SECONDS_BIN_WIDTH)  # seconds per histogram bin
HIST_CAP = HIST_WIDTH * rollups.SECONDS_LAST_BIN  # decisions this slow share the last bin


# --- SQL helpers ----------------------------------------------------------------------------


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _from(session: Session, index: str) -> str:
    """``attempt`` pinned to a covering index on SQLite (PostgreSQL plans well alone)."""
    return f"attempt INDEXED BY {index}" if _is_sqlite(session) else "attempt"


def _where(since: dt.datetime | None) -> str:
    clause = "agency_id = :agency AND status = :submitted"
    if since is not None:
        clause += " AND submitted_at >= :since"
    return clause


def _run(session: Session, *parts: str, **params) -> list:
    """Run SQL joined from constant fragments, with every value as a bound parameter.

    The fragments come only from this module (column names, index names, the four
    disqualifier codes); nothing a user typed is ever part of the text.
    """
    stmt = text(" ".join(parts))
    # Timestamps are stored in UTC (timestamptz on PostgreSQL, UTC text on SQLite).
    params = {k: _utc(v) if isinstance(v, dt.datetime) else v for k, v in params.items()}
    typed = [
        bindparam(k, type_=DateTime(timezone=True))
        for k, v in params.items()
        if isinstance(v, dt.datetime)
    ]
    typed += [
        bindparam(k, type_=Date())
        for k, v in params.items()
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
    ]
    typed += [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
    if typed:
        stmt = stmt.bindparams(*typed)
    return session.execute(stmt, params).all()


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _params(actor: Actor, since: dt.datetime | None) -> dict:
    params: dict = {"agency": actor.agency_id, "submitted": SUBMITTED}
    if since is not None:
        params["since"] = since
    return params


def _since_day(value: dt.date | dt.datetime | None) -> dt.date | None:
    """The UTC day a ``since`` falls on (views count whole days, see the module notes)."""
    if isinstance(value, dt.datetime):
        return _utc(value).date()
    return value


def _as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """The start (UTC) of the day of ``since``, for queries over the attempts themselves."""
    day = _since_day(value)
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _day(value: object) -> dt.date:
    """A rollup day as a date (SQLite hands back its ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _rollup_where(day: dt.date | None) -> str:
    return "agency_id = :agency" + ("" if day is None else " AND day >= :day")


def _rollup_params(actor: Actor, day: dt.date | None) -> dict:
    return {"agency": actor.agency_id} | ({} if day is None else {"day": day})


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _case(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _has_code(column: str, code: str) -> str:
    # The four codes are not substrings of one another; '_' is escaped for LIKE.
    pattern = code.replace("_", "\\_")
    return f"{column} LIKE '%{pattern}%' ESCAPE '\\'"


def _police_in() -> str:
    return "disposition IN (" + ", ".join(f"'{r}'" for r in an.POLICE_ROUTES) + ")"


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


# --- errors and routing ---------------------------------------------------------------------


def error_profile(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> pd.DataFrame:
    """Per disqualifier: missed vs wrongly flagged (counts and rates), see an.error_profile."""
    require(actor, "analytics")
    day = _since_day(since)
    with read_session() as session:
        combos = _run(
            session,
            "SELECT missed_disqualifiers, over_disqualifiers, SUM(attempts) FROM dayerrorrollup",
            "WHERE",
            _rollup_where(day),
            "AND (missed_disqualifiers <> '' OR over_disqualifiers <> '')",
            "GROUP BY missed_disqualifiers, over_disqualifiers HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
        presence = _run(
            session,
            "SELECT key_disqualifiers, SUM(attempts) FROM dayerrorrollup WHERE",
            _rollup_where(day),
            "GROUP BY key_disqualifiers HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
    return an.error_profile(
        _frame([(m, o, int(n)) for m, o, n in combos], ["missed", "over", "n"]),
        _frame([(d, int(n)) for d, n in presence], ["disqualifiers", "n"]),
    )


@dataclass
class RoutingView:
    matrix: pd.DataFrame  # expert, chosen, n, row_share, agrees
    rates: dict  # see an.routing_rates
    cells: pd.DataFrame  # expert, chosen, n, unsafe, over_routed


def confusion_matrix(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> RoutingView:
    """Expert route x chosen route, with unsafe-dispatch and over-routing rates."""
    require(actor, "analytics")
    day = _since_day(since)
    with read_session() as session:
        rows = _run(
            session,
            "SELECT expert_disposition, disposition, SUM(attempts), SUM(unsafe),",
            "SUM(over_routed) FROM dayrouterollup WHERE",
            _rollup_where(day),
            "GROUP BY expert_disposition, disposition HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
    # The rollup keeps '' for a route the attempt left empty.
    cells = _frame(
        [(e or None, c or None, *(int(v) for v in rest)) for e, c, *rest in rows],
        ["expert", "chosen", "n", "unsafe", "over_routed"],
    )
    for column in ("n", "unsafe", "over_routed"):
        cells[column] = cells[column].astype(int)
    return RoutingView(an.confusion_matrix(cells), an.routing_rates(cells), cells)


@dataclass
class TimingView:
    summary: dict  # see an.timing_from_aggregates
    histogram: pd.DataFrame  # start, n (the last bin holds everything >= HIST_CAP)
    width: float = HIST_WIDTH
    cap: float = HIST_CAP


def timing(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> TimingView:
    """Time to decision against NFPA 1225: share within 60 s and the 90th percentile."""
    require(actor, "analytics")
    day = _since_day(since)
    params = _params(actor, _as_datetime(since))
    limit = an.NFPA_SECONDS
    edges = _bin_edges()
    with read_session() as session:
        per_bin = _run(
            session,
            "SELECT bin, SUM(attempts) FROM daysecondsrollup WHERE",
            _rollup_where(day),
            "GROUP BY bin",
            **_rollup_params(actor, day),
        )
        counts = {int(b): int(n or 0) for b, n in per_bin}
        bins = [(lo, hi, counts.get(i, 0)) for i, (lo, hi) in enumerate(edges)]
        n = sum(c for _, _, c in bins)
        # The share within 60 s and the exact 90th percentile follow from the bins plus
        # two short reads of the seconds index.
        source = ("FROM", _from(session, "ix_attempt_an_seconds"))
        where = ("WHERE", _where(params.get("since")), "AND seconds IS NOT NULL")
        at_limit = _run(
            session,
            "SELECT COUNT(*)",
            *source,
            *where,
            "AND seconds = :limit",
            **params,
            limit=limit,
        )[0][0]
        within = sum(c for _, hi, c in bins if hi <= limit) + int(at_limit or 0)
        p90 = None
        if n:
            rank, before = an.nearest_rank(n, an.NFPA_SHARE), 0
            for lo, hi, count in bins:
                if before + count >= rank:
                    p90 = _run(
                        session,
                        "SELECT seconds",
                        *source,
                        *where,
                        "AND seconds >= :lo AND seconds < :hi",
                        "ORDER BY seconds LIMIT 1 OFFSET :offset",
                        **params,
                        lo=lo,
                        hi=hi,
                        offset=rank - before - 1,
                    )[0][0]
                    break
                before += count
    histogram = pd.DataFrame(
        {"start": [max(lo, 0.0) for lo, _, c in bins if c], "n": [c for _, _, c in bins if c]}
    )
    summary = an.timing_from_aggregates(
        n=n, within=within, percentile=None if p90 is None else float(p90)
    )
    return TimingView(summary, histogram)


def _bin_edges() -> list[tuple[float, float]]:
    """[lo, hi) histogram bins of HIST_WIDTH seconds; the last one is open-ended from HIST_CAP."""
    # The 60 s mark falls on a bin edge; the bins are the rollup's (rollups.seconds_bin).
    assert an.NFPA_SECONDS % HIST_WIDTH == 0
    edges = [k * HIST_WIDTH for k in range(int(HIST_CAP / HIST_WIDTH) + 1)]
    bins = list(zip(edges, edges[1:], strict=False))
    bins[0] = (-1e12, bins[0][1])  # never expected, but nothing may fall outside the bins
    return [*bins, (HIST_CAP, 1e12)]


# --- equity -----------------------------------------------------------------------------------


@dataclass
class EquityView:
    per_trainee: pd.DataFrame  # an.equity_audit columns + name
    cohort: dict
    pairs: pd.DataFrame  # user_id, twin_group, police_a, police_b, diff


def equity_audit(
    *,
    actor: Actor,
    since: dt.date | dt.datetime | None = None,
    min_pairs: int = 10,
    min_pairs_cohort: int = 30,
) -> EquityView:
    """Police routing on counterfactual twins: variant a minus variant b, per trainee and cohort."""
    require(actor, "analytics")
    since = _as_datetime(since)
    with read_session() as session:
        rows = _run(
            session,
            "SELECT user_id, twin_group, twin_variant, COUNT(*),",
            _case(_police_in()),
            "FROM",
            _from(session, "ix_attempt_an_twin"),
            "WHERE agency_id = :agency AND twin_group IS NOT NULL AND status = :submitted",
            "AND submitted_at >= :since" if since is not None else "",
            "GROUP BY user_id, twin_group, twin_variant",
            **_params(actor, since),
        )
        names = _run(
            session,
            'SELECT id, display_name FROM "user" WHERE agency_id = :agency',
            agency=actor.agency_id,
        )
    cells = _frame(rows, ["user_id", "twin_group", "twin_variant", "attempts", "police"])
    pairs = an.twin_pairs(cells)
    audit = an.equity_audit(pairs, min_pairs=min_pairs, min_pairs_cohort=min_pairs_cohort)
    name_of = dict(names)
    per_trainee = audit.per_trainee.copy()
    per_trainee.insert(1, "name", [name_of.get(u, str(u)) for u in per_trainee["user_id"]])
    per_trainee = per_trainee.sort_values(
        ["flagged", "pairs"], ascending=[False, False]
    ).reset_index(drop=True)
    return EquityView(per_trainee, audit.cohort, pairs)


# --- traceability -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    index: str
    condition: str  # SQL with named parameters
    params: tuple[str, ...] = ()
    help: str = ""


METRICS: dict[str, Metric] = {
    "all": Metric("ix_attempt_an_time", "1 = 1", help="every submitted attempt"),
    "passed": Metric("ix_attempt_an_time", "passed", help="attempts that passed"),
    "failed": Metric("ix_attempt_an_time", "NOT passed", help="attempts that failed"),
    "week": Metric(
        "ix_attempt_an_time",
        "submitted_at >= :week AND submitted_at < :week_end",
        ("week",),
        "attempts submitted in the week starting on `week`",
    ),
    "trainee": Metric("ix_attempt_an_user", "user_id = :user_id", ("user_id",), "one trainee"),
    "missed": Metric(
        "ix_attempt_an_errors",
        f"({ATTEMPT_ERRORS}) AND missed_disqualifiers LIKE :pattern ESCAPE '\\'",
        ("disqualifier",),
        "attempts that missed the disqualifier",
    ),
    "over_flagged": Metric(
        "ix_attempt_an_errors",
        f"({ATTEMPT_ERRORS}) AND over_disqualifiers LIKE :pattern ESCAPE '\\'",
        ("disqualifier",),
        "attempts that flagged the disqualifier although the key does not have it",
    ),
    "route": Metric(
        "ix_attempt_an_route",
        "expert_disposition = :expert AND disposition = :chosen",
        ("expert", "chosen"),
        "attempts with this expert route and this chosen route",
    ),
    "unsafe": Metric("ix_attempt_an_flags", f"({ATTEMPT_FLAGS}) AND unsafe", help="unsafe"),
    "over_routed": Metric(
        "ix_attempt_an_flags",
        f"({ATTEMPT_FLAGS}) AND over_routed",
        help="police sent where the key needs none",
    ),
    "within_limit": Metric(
        "ix_attempt_an_seconds", "seconds <= :limit", help="decided within 60 s"
    ),
    "over_limit": Metric("ix_attempt_an_seconds", "seconds > :limit", help="took over 60 s"),
    "time_bin": Metric(
        "ix_attempt_an_seconds",
        "seconds >= :lo AND seconds < :hi",
        ("start",),
        "decisions in this histogram bin",
    ),
    "twin": Metric(
        "ix_attempt_an_twin",
        "twin_group IS NOT NULL AND user_id = :user_id",
        ("user_id",),
        "one trainee's attempts on twin calls",
    ),
}

BEHIND_COLUMNS = [
    "attempt_id",
    "submitted_at",
    "trainee",
    "scenario",
    "mode",
    "score",
    "passed",
    "unsafe",
    "over_routed",
    "seconds",
    "disposition",
    "expert_disposition",
    "missed_disqualifiers",
    "over_disqualifiers",
    "twin_group",
    "twin_variant",
    "user_id",
]


def attempts_behind(
    *,
    actor: Actor,
    metric: str,
    where: dict | None = None,
    since: dt.date | dt.datetime | None = None,
    limit: int = BEHIND_LIMIT,
) -> pd.DataFrame:
    """The attempts behind a number on a dashboard, newest first (at most ``limit``).

    ``metric`` is a key of :data:`METRICS`; ``where`` gives its parameters (e.g.
    ``{"disqualifier": "weapon"}``, ``{"expert": "police", "chosen": "ems"}``,
    ``{"user_id": 7}``, ``{"week": date}``, ``{"start": 60.0}``).
    """
    require(actor, "analytics")
    if metric not in METRICS:
        raise UserError(f"unknown metric '{metric}'")
    spec = METRICS[metric]
    where = dict(where or {})
    missing = [p for p in spec.params if p not in where]
    if missing:
        raise UserError(f"metric '{metric}' needs {', '.join(missing)}")
    since = _as_datetime(since)
    params = _params(actor, since)
    if "disqualifier" in spec.params:
        code = str(where["disqualifier"])
        if code not in an.DISQUALIFIERS:
            raise UserError(f"unknown disqualifier '{code}'")
        params["pattern"] = "%" + code.replace("_", "\\_") + "%"
    if "week" in spec.params:
        week = _as_datetime(pd.Timestamp(where["week"]).to_pydatetime())
        params["week"], params["week_end"] = week, week + dt.timedelta(weeks=1)
    if "start" in spec.params:
        start = float(where["start"])
        params["lo"] = start
        params["hi"] = 1e12 if start >= HIST_CAP else start + HIST_WIDTH
    for key in ("expert", "chosen"):
        if key in spec.params:
            params[key] = str(where[key])
    if "user_id" in spec.params:
        params["user_id"] = int(where["user_id"])
    if ":limit" in spec.condition:
        params["limit"] = an.NFPA_SECONDS
    params["n"] = max(1, min(int(limit), 5000))
    with read_session() as session:
        ids = [
            r[0]
            for r in _run(
                session,
                "SELECT id FROM",
                _from(session, spec.index),
                "WHERE",
                _where(since),
                "AND",
                spec.condition,
                "ORDER BY submitted_at DESC, id DESC LIMIT :n",
                **params,
            )
        ]
        frame = _attempt_rows(session, actor, ids)
    return frame


def _attempt_rows(session: Session, actor: Actor, ids: list[int]) -> pd.DataFrame:
    """Display rows for attempt ids (in the order given), agency-checked again."""
    if not ids:
        return pd.DataFrame(columns=BEHIND_COLUMNS)
    rows = _run(
        session,
        "SELECT a.id, a.submitted_at, u.display_name, s.title, a.mode, a.score, a.passed, "
        "a.unsafe, a.over_routed, a.seconds, a.disposition, a.expert_disposition, "
        "a.missed_disqualifiers, a.over_disqualifiers, a.twin_group, a.twin_variant, a.user_id "
        'FROM attempt a JOIN "user" u ON u.id = a.user_id '
        "JOIN scenarioversion s ON s.id = a.scenario_version_id "
        "WHERE a.agency_id = :agency AND a.id IN :ids",
        agency=actor.agency_id,
        ids=[int(i) for i in ids],
    )
    frame = _frame(rows, BEHIND_COLUMNS)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"].map(an.naive_utc))
    for column in ("passed", "unsafe", "over_routed"):
        frame[column] = frame[column].astype("boolean")
    order = {v: i for i, v in enumerate(ids)}
    frame = frame.sort_values("attempt_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return frame


# --- one trainee, one attempt -----------------------------------------------------------------


@dataclass
class TraineeDetail:
    trainee: dict  # user_id, name, username, is_active
    attempts: pd.DataFrame  # BEHIND_COLUMNS + notes
    summary: dict


def trainee_detail(*, actor: Actor, trainee_id: int, limit: int = 500) -> TraineeDetail:
    """One trainee of the actor's agency and their latest submitted attempts."""
    require(actor, "review_attempts")
    with read_session() as session:
        found = _run(
            session,
            'SELECT id, display_name, username, is_active FROM "user" '
            "WHERE id = :uid AND agency_id = :agency AND role = 'trainee'",
            uid=int(trainee_id),
            agency=actor.agency_id,
        )
        if not found:
            raise NotFound("No such trainee in your agency.")
        uid, name, username, active = found[0]
        ids = [
            r[0]
            for r in _run(
                session,
                "SELECT id FROM attempt WHERE user_id = :uid AND agency_id = :agency "
                "AND status = :submitted ORDER BY submitted_at DESC, id DESC LIMIT :n",
                uid=uid,
                agency=actor.agency_id,
                submitted=SUBMITTED,
                n=int(limit),
            )
        ]
        attempts = _attempt_rows(session, actor, ids)
        totals = _run(
            session,
            "SELECT COUNT(*),",
            _case("passed"),
            ", AVG(score),",
            _case("unsafe"),
            ",",
            _case("over_routed"),
            "FROM attempt WHERE user_id = :uid AND agency_id = :agency AND status = :submitted",
            uid=uid,
            agency=actor.agency_id,
            submitted=SUBMITTED,
        )[0]
        notes = _note_counts(session, actor, ids)
    attempts["notes"] = [notes.get(i, 0) for i in attempts["attempt_id"]]
    count, passes, avg, unsafe, over = totals
    summary = {
        "attempts": int(count or 0),
        "passes": int(passes or 0),
        "pass_rate": an.rate(passes or 0, count or 0),
        "avg_score": None if avg is None else float(avg),
        "unsafe": int(unsafe or 0),
        "over_routed": int(over or 0),
        "shown": len(attempts),
    }
    trainee = {"user_id": uid, "name": name, "username": username, "is_active": bool(active)}
    return TraineeDetail(trainee, attempts, summary)


def _note_counts(session: Session, actor: Actor, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = _run(
        session,
        "SELECT attempt_id, COUNT(*) FROM reviewnote WHERE agency_id = :agency "
        "AND attempt_id IN :ids GROUP BY attempt_id",
        agency=actor.agency_id,
        ids=[int(i) for i in ids],
    )
    return {a: int(n) for a, n in rows}


@dataclass
class Replay:
    attempt: dict  # id, trainee, user_id, scenario, scenario_key, version, mode, model, ...
    timeline: pd.DataFrame  # t, kind, value, label, verdict, judgement (good|bad|neutral)
    key: dict  # disqualifiers, call_type, disposition, acceptable, unsafe, required_questions, ...
    checklist: pd.DataFrame  # item, expected, trainee, ok
    grade: dict
    answer: dict
    exchanges: pd.DataFrame  # question, caller_answer, asked_at
    notes: list[dict] = field(default_factory=list)


def attempt_replay(*, actor: Actor, attempt_id: int) -> Replay:
    """An attempt's timeline (questions, marks, decisions and their times) beside the key."""
    require(actor, "review_attempts")
    with read_session() as session:
        rows = _run(
            session,
            "SELECT a.id, a.user_id, u.display_name, a.scenario_version_id, a.mode, a.model, "
            "a.status, a.started_at, a.submitted_at, a.events, a.answer, a.grade, a.score, "
            "a.passed, a.seconds, a.twin_group, a.twin_variant, s.title, s.scenario_key, "
            "s.version, s.data, a.rules, a.regrade "
            'FROM attempt a JOIN "user" u ON u.id = a.user_id '
            "JOIN scenarioversion s ON s.id = a.scenario_version_id "
            "WHERE a.id = :aid AND a.agency_id = :agency",
            aid=int(attempt_id),
            agency=actor.agency_id,
        )
        if not rows:
            raise NotFound("No such attempt in your agency.")
        notes = _notes(session, actor, int(attempt_id))
    (aid, uid, name, _sv, mode, model, status, started, submitted, events, answer, grade,
     score, passed, seconds, twin_group, twin_variant, title, skey, version, data, rules,
     regrade) = rows[0]  # fmt: skip
    events, answer, grade, data, regrade = (
        _json(v) for v in (events, answer, grade, data, regrade)
    )
    key = _effective_key(data or {}, model or "call_center_led")
    questions = _question_texts(data or {})
    timeline = replay_timeline(events or [], key, questions)
    exchanges = _exchanges(data or {}, timeline)
    checklist = key_checklist(key, answer or {}, timeline)
    attempt = {
        "id": aid,
        "user_id": uid,
        "trainee": name,
        "scenario": title,
        "scenario_key": skey,
        "version": version,
        "mode": mode,
        "model": model,
        "status": status,
        "started_at": an.naive_utc(started),
        "submitted_at": an.naive_utc(submitted),
        "score": score,
        "passed": None if passed is None else bool(passed),
        "seconds": seconds,
        "twin_group": twin_group,
        "twin_variant": twin_variant,
        "opening": ((data or {}).get("call") or {}).get("opening", ""),
        "rules": rules,
        "rules_note": grading_rules.rules_note(rules, regrade) if status == "submitted" else None,
    }
    return Replay(attempt, timeline, key, checklist, grade or {}, answer or {}, exchanges, notes)


def _json(value):
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


def _effective_key(scenario: dict, model: str) -> dict:
    """The key under the attempt's dispatch model (core grading's, else the contract's rule)."""
    try:
        from app.core.grading import effective_key

        return dict(effective_key(scenario, model))
    except ImportError:  # pragma: no cover - the core helper's module not there yet
        expert = dict(scenario.get("expert") or {})
        override = (expert.pop("by_model", None) or {}).get(model) or {}
        expert.update(override)
        return expert


def _question_texts(scenario: dict) -> dict[str, str]:
    texts: dict[str, str] = {}
    try:
        from app.core.protocol import load_protocol

        texts = {q: item.text for q, item in load_protocol().questions.items()}
    except Exception:  # noqa: S110 - protocol module optional here; ids are shown instead
        pass
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        if exchange.get("id") and exchange.get("question"):
            texts[exchange["id"]] = exchange["question"]
    return texts


def _label(code: object) -> str:
    return str(code).replace("_", " ") if code is not None else ""


def replay_timeline(events: list, key: dict, questions: dict[str, str]) -> pd.DataFrame:
    """The trainee's events in time order, each judged against the key.

    Event kinds as the practice service records them: ``ask`` (value: question id),
    ``disqualifier`` (value: ``{"code", "on"}``, a toggle), ``call_type``,
    ``priority``, ``disposition``; any other kind is shown as it is.
    """
    key_dq = set(key.get("disqualifiers") or [])
    required = set(key.get("required_questions") or [])
    evidence = {v: k for k, v in (key.get("evidence") or {}).items()}
    best = key.get("disposition")
    acceptable = set(key.get("acceptable") or [])
    unsafe = set(key.get("unsafe") or [])
    rows = []
    ordered = sorted(
        (e for e in events if isinstance(e, dict)), key=lambda e: float(e.get("t") or 0)
    )
    for event in ordered:
        kind = str(event.get("kind", ""))
        value = event.get("value")
        shown = "" if value is None else str(value)
        label, verdict, judgement = _label(value), "", "neutral"
        if kind == "ask":
            label = questions.get(str(value), _label(value))
            verdict = "required" if value in required else "extra"
            judgement = "good" if value in required else "neutral"
            if value in evidence:
                verdict += f"; reveals {_label(evidence[value])}"
        elif kind == "disqualifier":
            code = value.get("code") if isinstance(value, dict) else value
            on = bool(value.get("on", True)) if isinstance(value, dict) else True
            shown = f"{code} {'on' if on else 'off'}"
            label = f"{'flagged' if on else 'unflagged'} {_label(code)}"
            right = (code in key_dq) == on
            judgement = "good" if right else "bad"
            if on:
                verdict = "in the key" if code in key_dq else "not in the key"
            else:
                verdict = "removed a key disqualifier" if code in key_dq else "undid an over-flag"
        elif kind == "call_type":
            expected = key.get("call_type")
            verdict = "correct" if value == expected else f"key: {_label(expected)}"
            judgement = "good" if value == expected else "bad"
        elif kind == "priority":
            expected = key.get("priority")
            if expected is not None:
                verdict = "correct" if value == expected else f"key: {expected}"
                judgement = "good" if value == expected else "bad"
        elif kind == "disposition":
            if value == best:
                verdict, judgement = "best route", "good"
            elif value in unsafe or (value == "community_responder" and key_dq):
                verdict, judgement = "UNSAFE", "bad"
            elif value in acceptable:
                verdict = "acceptable"
            else:
                verdict, judgement = f"key: {_label(best)}", "bad"
        rows.append(
            {
                "t": float(event.get("t") or 0.0),
                "kind": kind,
                "value": shown,
                "label": label,
                "verdict": verdict,
                "judgement": judgement,
            }
        )
    return pd.DataFrame(rows, columns=["t", "kind", "value", "label", "verdict", "judgement"])


def key_checklist(key: dict, answer: dict, timeline: pd.DataFrame) -> pd.DataFrame:
    """Each item of the key next to what the trainee did (and when)."""
    asked_at: dict[str, float] = {}
    for row in timeline.itertuples():
        if row.kind == "ask" and row.value not in asked_at:
            asked_at[row.value] = row.t
    asked = set(answer.get("questions") or []) | set(asked_at)
    marked = set(answer.get("disqualifiers") or [])
    rows = []
    for q in key.get("required_questions") or []:
        when = asked_at.get(q)
        rows.append(
            {
                "item": f"ask: {_label(q)}",
                "expected": "asked",
                "trainee": (f"asked at {when:.0f} s" if when is not None else "asked")
                if q in asked
                else "not asked",
                "ok": q in asked,
            }
        )
    for code in an.DISQUALIFIERS:
        expected = code in (key.get("disqualifiers") or [])
        rows.append(
            {
                "item": f"disqualifier: {_label(code)}",
                "expected": "present" if expected else "absent",
                "trainee": "flagged" if code in marked else "not flagged",
                "ok": expected == (code in marked),
            }
        )
    rows.append(
        {
            "item": "call type",
            "expected": _label(key.get("call_type")),
            "trainee": _label(answer.get("call_type")),
            "ok": answer.get("call_type") == key.get("call_type"),
        }
    )
    chosen = answer.get("disposition")
    ok_routes = {key.get("disposition"), *(key.get("acceptable") or [])}
    rows.append(
        {
            "item": "route",
            "expected": _label(key.get("disposition"))
            + (
                f" (also acceptable: {', '.join(_label(r) for r in key.get('acceptable') or [])})"
                if key.get("acceptable")
                else ""
            ),
            "trainee": _label(chosen),
            "ok": chosen in ok_routes,
        }
    )
    target = key.get("time_target_seconds")
    seconds = answer.get("seconds")
    if target is not None or seconds is not None:
        rows.append(
            {
                "item": "time",
                "expected": f"within {target} s" if target else "-",
                "trainee": f"{float(seconds):.0f} s" if seconds is not None else "-",
                "ok": seconds is None or target is None or float(seconds) <= float(target),
            }
        )
    return pd.DataFrame(rows, columns=["item", "expected", "trainee", "ok"])


def _exchanges(scenario: dict, timeline: pd.DataFrame) -> pd.DataFrame:
    asked_at: dict[str, float] = {}
    for row in timeline.itertuples():
        if row.kind == "ask" and row.value not in asked_at:
            asked_at[row.value] = row.t
    rows = []
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        qid = exchange.get("ask") or exchange.get("id")
        rows.append(
            {
                "question": exchange.get("question") or _label(qid),
                "caller_answer": exchange.get("answer", ""),
                "asked_at": asked_at.get(qid),
            }
        )
    return pd.DataFrame(rows, columns=["question", "caller_answer", "asked_at"])


# --- review notes -----------------------------------------------------------------------------


def _notes(session: Session, actor: Actor, attempt_id: int) -> list[dict]:
    rows = _run(
        session,
        "SELECT n.id, n.text, n.created_at, u.display_name FROM reviewnote n "
        'JOIN "user" u ON u.id = n.author_id '
        "WHERE n.agency_id = :agency AND n.attempt_id = :aid ORDER BY n.created_at, n.id",
        agency=actor.agency_id,
        aid=attempt_id,
    )
    return [{"id": i, "text": t, "created_at": an.naive_utc(c), "author": a} for i, t, c, a in rows]


def review_notes(*, actor: Actor, attempt_id: int) -> list[dict]:
    """QA notes on an attempt: supervisors for their agency, trainees for their own attempts."""
    if can(actor, "review_attempts"):
        owner_clause, extra = "", {}
    else:
        require(actor, "own_attempts")
        owner_clause, extra = "AND user_id = :uid", {"uid": actor.user_id}
    with read_session() as session:
        found = _run(
            session,
            "SELECT id FROM attempt WHERE id = :aid AND agency_id = :agency",
            owner_clause,
            aid=int(attempt_id),
            agency=actor.agency_id,
            **extra,
        )
        if not found:
            raise NotFound("No such attempt.")
        return _notes(session, actor, int(attempt_id))


def add_review_note(*, actor: Actor, attempt_id: int, text: str) -> dict:
    """Attach a QA review note to a submitted attempt of the actor's agency."""
    require(actor, "review_attempts")
    body = (text or "").strip()
    if not body:
        raise UserError("Write the note first.")
    if len(body) > NOTE_MAX:
        raise UserError(f"A note may have at most {NOTE_MAX} characters.")
    with write_session() as session:
        found = _run(
            session,
            "SELECT id FROM attempt WHERE id = :aid AND agency_id = :agency AND status = :submitted",
            aid=int(attempt_id),
            agency=actor.agency_id,
            submitted=SUBMITTED,
        )
        if not found:
            raise NotFound("No such attempt in your agency.")
        note = ReviewNote(
            agency_id=actor.agency_id,
            attempt_id=int(attempt_id),
            author_id=actor.user_id,
            text=body,
        )
        session.add(note)
        session.flush()
        result = {
            "id": note.id,
            "attempt_id": note.attempt_id,
            "text": note.text,
            "created_at": note.created_at,
            "author": actor.display_name or actor.username,
        }
    return result


# --- benchmark --------------------------------------------------------------------------------


def dashboard_timings(agency_id: int) -> dict[str, float]:
    """Seconds each dashboard view takes for one agency (for ``python -m app bench``).

    Runs on the configured database as a supervisor of that agency (the first
    active one, else a stand-in read-only actor). Read-only: no note is written.
    """
    with read_session() as session:
        sup = _run(
            session,
            'SELECT id, username, display_name FROM "user" WHERE agency_id = :agency '
            "AND role = 'supervisor' AND is_active ORDER BY id LIMIT 1",
            agency=agency_id,
        )
    if sup:
        actor = Actor(user_id=sup[0][0], agency_id=agency_id, role="supervisor",
                      username=sup[0][1], display_name=sup[0][2])  # fmt: skip
    else:
        actor = Actor(user_id=0, agency_id=agency_id, role="supervisor", username="bench")
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = call()
        timings[name] = round(time.perf_counter() - start, 3)
        return result

    overview = timed("cohort_overview", lambda: cohort_overview(actor=actor))
    timed("error_profile", lambda: error_profile(actor=actor))
    timed("confusion_matrix", lambda: confusion_matrix(actor=actor))
    timed("timing", lambda: timing(actor=actor))
    timed("equity_audit", lambda: equity_audit(actor=actor))
    table = overview.trainees
    if len(table) and table["attempts"].max() > 0:
        busiest = int(table.sort_values("attempts").iloc[-1]["user_id"])
        detail = timed("trainee_detail", lambda: trainee_detail(actor=actor, trainee_id=busiest))
        if len(detail.attempts):
            first = int(detail.attempts.iloc[0]["attempt_id"])
            timed("attempt_replay", lambda: attempt_replay(actor=actor, attempt_id=first))
    timed(
        "attempts_behind(missed)",
        lambda: attempts_behind(actor=actor, metric="missed", where={"disqualifier": "weapon"}),
    )
    timed(
        "attempts_behind(route)",
        lambda: attempts_behind(
            actor=actor, metric="route", where={"expert": "police", "chosen": "ems"}
        ),
    )
    timed("attempts_behind(over_limit)", lambda: attempts_behind(actor=actor, metric="over_limit"))
    return timings
