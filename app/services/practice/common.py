"""What every part of a practice call shares: modes, limits, loading the trainee's rows.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import bindparam, null, or_
from sqlmodel import Session, col, select

from app.core import grading
from app.core.protocol import DISQUALIFIERS, Protocol
from app.errors import NotFound, UserError
from app.services.access import Actor
from app.services.exam_lock import exam_column, exam_params, refuse_unless_exam, takes_exams
from app.store.models import Agency, Attempt, Exam, ScenarioVersion, User

PRACTICE_MODES = ("guided", "standard", "timed")
MODES = PRACTICE_MODES + ("exam",)
MODE_LABELS = {
    "guided": "Guided — hints while you work",
    "standard": "Standard — no hints",
    "timed": "Timed — beat the clock",
}
DEFAULT_TIME_LIMIT = 120  # seconds, for a timed call whose scenario sets no target
HISTORY_LIMIT = 500  # attempts looked at when choosing the next call
CERT_PRACTICE_TARGET = 20  # passed practice calls counted towards readiness
MARK_KINDS = ("disqualifier", "call_type", "priority", "disposition")


class AttemptClosed(UserError):
    """The attempt is no longer open (submitted or replaced by a newer call)."""


# ------------------------------------------------------------------ key


def _effective_key(scenario: dict, model: str, protocol: Protocol) -> dict:
    return grading.effective_key(scenario, model, protocol)


# ------------------------------------------------------------------ loading rows


def _load(
    session: Session, actor: Actor, attempt_id: int
) -> tuple[Attempt, ScenarioVersion, Agency]:
    """The actor's own attempt with its scenario and agency, in one query.

    While the trainee's exam is open only that exam's attempts are served: a practice
    call (or an earlier exam's call) is refused with :class:`ExamInProgress`, so the
    call screen, asking, marks, hints, audio, submitting and the review all wait.
    """
    attempt, version, agency, _ = _load_with(session, actor, attempt_id, None)
    return attempt, version, agency


# Columns _load_with can add to its query, by name.
EXTRA_COLUMNS: dict[str | None, Any] = {
    None: null(),
    "always_show_transcripts": select(User.always_show_transcripts)
    .where(col(User.id) == Attempt.user_id)
    .scalar_subquery(),
}


def _own(query: Any) -> Any:
    """``query`` narrowed to one attempt of the actor's own (values: :func:`_own_params`)."""
    return (
        query.where(col(Attempt.id) == bindparam("attempt_id"))
        .where(col(Attempt.agency_id) == bindparam("agency_id"))
        .where(col(Attempt.user_id) == bindparam("user_id"))
    )


def _own_params(actor: Actor, attempt_id: int) -> dict[str, int]:
    return {
        "attempt_id": int(attempt_id),
        "agency_id": actor.agency_id,
        "user_id": actor.user_id,
        **exam_params(actor),
    }


# The call screen loads its attempt several times a rerun: each query is built once (per
# role that can or cannot take exams) and runs with the values bound, which halves the
# time of a load (building a query costs more than running it).
@functools.cache
def _load_statement(takes: bool, extra: str | None) -> Any:
    query: Any = select(Attempt, ScenarioVersion, Agency, exam_column(takes))  # four at most
    return _own(
        query.add_columns(EXTRA_COLUMNS[extra])
        .join(ScenarioVersion, col(ScenarioVersion.id) == Attempt.scenario_version_id)
        .join(Agency, col(Agency.id) == Attempt.agency_id)
    )


@functools.cache
def _update_statement(takes: bool, lock: bool) -> Any:
    query = _own(select(Attempt, exam_column(takes)))
    return query.with_for_update(of=Attempt) if lock else query


def _load_with(
    session: Session, actor: Actor, attempt_id: int, extra: str | None
) -> tuple[Attempt, ScenarioVersion, Agency, Any]:
    """:func:`_load` and one more column of the same query (``extra``: a name in
    :data:`EXTRA_COLUMNS`)."""
    row = session.exec(
        _load_statement(takes_exams(actor), extra), params=_own_params(actor, attempt_id)
    ).first()
    if row is None:
        raise NotFound("There is no such call among your attempts.")
    attempt, version, agency, open_exam, value = row
    refuse_unless_exam(open_exam, attempt.exam_id)
    return attempt, version, agency, value


def _load_for_update(
    session: Session, actor: Actor, attempt_id: int, *, lock: bool = True
) -> Attempt:
    """The actor's own attempt, locked for a change (``lock=False``: only read it)."""
    row = session.exec(
        _update_statement(takes_exams(actor), lock), params=_own_params(actor, attempt_id)
    ).first()
    if row is None:
        raise NotFound("There is no such call among your attempts.")
    attempt, open_exam = row
    refuse_unless_exam(open_exam, attempt.exam_id)
    return attempt


def _require_open(attempt: Attempt) -> None:
    if attempt.status == "submitted":
        raise AttemptClosed("This call has already been submitted.")
    if attempt.status != "in_progress":
        raise AttemptClosed("This call was closed because you started another one.")


# ------------------------------------------------------------------ events


def _asked(events: list | None) -> list[str]:
    """Question ids in the order first asked."""
    seen: list[str] = []
    for event in events or []:
        if event.get("kind") == "ask" and event.get("value") not in seen:
            seen.append(event["value"])
    return seen


class Marks(TypedDict):
    """The trainee's current choices on a call (None: not chosen yet)."""

    disqualifiers: list[str]  # codes, in the protocol's order
    call_type: str | None
    priority: int | None  # 1-4
    disposition: str | None


def marks_from_events(events: list | None) -> Marks:
    """The trainee's current choices, folded from the recorded marks."""
    latest: dict[str, Any] = {"call_type": None, "priority": None, "disposition": None}
    chosen: set[object] = set()  # the codes as the events hold them (checked below)
    for event in events or []:
        kind, value = event.get("kind"), event.get("value")
        if kind == "disqualifier" and isinstance(value, Mapping):
            if value.get("on"):
                chosen.add(value.get("code"))
            else:
                chosen.discard(value.get("code"))
        elif kind in ("call_type", "priority", "disposition"):
            latest[kind] = value
    return Marks(
        disqualifiers=[d for d in DISQUALIFIERS if d in chosen],
        call_type=latest["call_type"],
        priority=latest["priority"],
        disposition=latest["disposition"],
    )


def _time_limit(scenario: Mapping) -> int:
    target = (scenario.get("expert") or {}).get("time_target_seconds")
    return int(target) if target else DEFAULT_TIME_LIMIT


def _not_in_a_running_exam():
    """Exam calls stay hidden from the trainee's own lists until the exam is finished."""
    finished = select(Exam.id).where(Exam.status == "completed")
    return or_(col(Attempt.exam_id).is_(None), col(Attempt.exam_id).in_(finished))


def _own_submitted(actor: Actor, *columns):
    """A query of ``columns`` over the trainee's submitted attempts joined to their
    scenario version, newest first (calls of a running exam left out)."""
    return (
        select(*columns)
        .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
        .where(Attempt.user_id == actor.user_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(Attempt.status == "submitted")
        .where(_not_in_a_running_exam())
        .order_by(col(Attempt.submitted_at).desc())
    )
