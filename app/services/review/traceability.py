"""Traceability: the attempts behind any number on the dashboards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from app.core import analytics as an
from app.errors import UserError
from app.services.access import Actor, require
from app.services.review.sql import (
    HIST_CAP,
    HIST_WIDTH,
    _as_datetime,
    _frame,
    _from,
    _params,
    _run,
    _where,
)
from app.store.db import read_session
from app.store.models import ATTEMPT_ERRORS, ATTEMPT_FLAGS

BEHIND_LIMIT = 200


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
