"""How long each supervisor dashboard view takes for one agency (``python -m app bench``).

Calls the review service (:mod:`app.services.review`) as a supervisor would, on the
configured database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import col, select

from app.services import review
from app.services.access import Actor
from app.store.db import read_session
from app.store.models import User

_T = TypeVar("_T")


def dashboard_timings(agency_id: int, *, cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Seconds each dashboard view takes for one agency (for ``python -m app bench``);
    ``cpu``, when given, gets the CPU seconds of each (this process, all threads).

    Runs on the configured database as a supervisor of that agency (the first
    active one, else a stand-in read-only actor). Read-only: no note is written.
    """
    with read_session() as session:
        sup = session.exec(
            select(User.id, User.username, User.display_name)
            .where(User.agency_id == agency_id)
            .where(User.role == "supervisor")
            .where(User.is_active == True)  # noqa: E712
            .order_by(col(User.id))
            .limit(1)
        ).all()
    if sup and sup[0][0] is not None:
        actor = Actor(user_id=sup[0][0], agency_id=agency_id, role="supervisor",
                      username=sup[0][1], display_name=sup[0][2])  # fmt: skip
    else:
        actor = Actor(user_id=0, agency_id=agency_id, role="supervisor", username="bench")
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], _T]) -> _T:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = call()
        timings[name] = round(time.perf_counter() - start, 3)
        if cpu is not None:
            cpu[name] = time.process_time() - cpu_start
        return result

    overview = timed("cohort_overview", lambda: review.cohort_overview(actor=actor))
    timed("error_profile", lambda: review.error_profile(actor=actor))
    timed("confusion_matrix", lambda: review.confusion_matrix(actor=actor))
    timed("timing", lambda: review.timing(actor=actor))
    equity = timed("equity_audit", lambda: review.equity_audit(actor=actor))
    twins = equity.twins
    timed(
        "twin_differences",
        lambda: review.twin_differences(
            actor=actor,
            pairs=zip(twins["twin_group"], twins["version_a"], twins["version_b"], strict=True),
        ),
    )
    table = overview.trainees
    if len(table) and table["attempts"].max() > 0:
        busiest = int(table.sort_values("attempts").iloc[-1]["user_id"])
        detail = timed(
            "trainee_detail", lambda: review.trainee_detail(actor=actor, trainee_id=busiest)
        )
        if len(detail.attempts):
            first = int(detail.attempts.iloc[0]["attempt_id"])
            timed("attempt_replay", lambda: review.attempt_replay(actor=actor, attempt_id=first))
    timed(
        "attempts_behind(missed)",
        lambda: review.attempts_behind(
            actor=actor, metric="missed", where={"disqualifier": "weapon"}
        ),
    )
    timed(
        "attempts_behind(route)",
        lambda: review.attempts_behind(
            actor=actor, metric="route", where={"expert": "police", "chosen": "ems"}
        ),
    )
    timed(
        "attempts_behind(over_limit)",
        lambda: review.attempts_behind(actor=actor, metric="over_limit"),
    )
    return timings
